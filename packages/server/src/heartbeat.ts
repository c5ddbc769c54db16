/**
 * One interval timer for the whole emitter (heartbeats for every connection),
 * started with the first connection and stopped with the last, and `unref`'d so
 * it never keeps a process alive on its own.
 */
export class Ticker {
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(
    readonly intervalMs: number,
    readonly tick: () => void,
  ) {}

  get running(): boolean {
    return this.#timer !== undefined
  }

  start(): void {
    if (this.#timer !== undefined) return
    const timer = setInterval(this.tick, this.intervalMs)
    if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref()
    this.#timer = timer
  }

  stop(): void {
    if (this.#timer === undefined) return
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
