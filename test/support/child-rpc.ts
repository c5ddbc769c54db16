/**
 * Child processes for tests that need more than one event loop (a soak whose
 * clients, proxy and server would starve each other in one process), and a
 * small request/answer protocol over Node's IPC channel with a time bound on
 * every call.
 *
 * Children run TypeScript through tsx, from the repository root, with the
 * packages resolved to their source (`--conditions=@tidings/source`) unless
 * `source: false` (benchmarks measure the built `dist`).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

interface Request {
  readonly id: number
  readonly body: unknown
}

type Answer =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string }

export interface ChildOptions {
  /** Resolve `@tidings/*` to `src` (default) or, with `false`, to the built `dist`. */
  readonly source?: boolean | undefined
  /** Flags for Node itself, such as `--expose-gc`. */
  readonly nodeFlags?: readonly string[] | undefined
}

/** A child process answering calls made with {@link ChildRpc.call}. */
export class ChildRpc<TRequest> {
  #next = 1
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >()
  readonly #exited: Promise<void>
  readonly #ready: Promise<unknown>

  /** Starts `file` (a path relative to the repository root) with `args`. */
  static start<TRequest>(
    file: string,
    args: readonly string[],
    label: string,
    options: ChildOptions = {},
  ): ChildRpc<TRequest> {
    const conditions = options.source === false ? [] : ['--conditions=@tidings/source']
    const child = spawn(
      process.execPath,
      [...(options.nodeFlags ?? []), '--import', 'tsx', ...conditions, file, ...args],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    )
    return new ChildRpc(child, label)
  }

  /** Talks to `child`, a process spawned with an `ipc` channel that runs {@link serveParent}. */
  constructor(
    readonly child: ChildProcess,
    readonly label: string,
  ) {
    this.#ready = new Promise((resolve, reject) => {
      this.child.on('message', (message: { ready?: unknown }) => {
        if ('ready' in message) resolve(message.ready)
      })
      this.child.on('exit', (code, signal) =>
        reject(new Error(`${label} exited (${signal ?? code}) before it was ready`)),
      )
    })
    // Seen by whoever awaits `ready()`; no unhandled rejection otherwise.
    this.#ready.catch(() => {})
    this.child.on('message', (message: Answer) => {
      if (!('id' in message)) return
      const waiter = this.#pending.get(message.id)
      if (!waiter) return
      this.#pending.delete(message.id)
      if (message.ok) waiter.resolve(message.value)
      else waiter.reject(new Error(`${label}: ${message.error}`))
    })
    this.#exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        for (const waiter of this.#pending.values()) {
          waiter.reject(new Error(`${label} exited (${signal ?? code})`))
        }
        this.#pending.clear()
        resolve()
      })
    })
  }

  /** What the child announced with {@link announceReady}, once it did (bounded by `timeoutMs`). */
  ready<T>(timeoutMs = 60_000): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.label} was not ready in ${timeoutMs} ms`)),
        timeoutMs,
      )
    })
    return Promise.race([this.#ready as Promise<T>, late]).finally(() => clearTimeout(timer))
  }

  /** Sends `body`; rejects when the child throws, exits, or does not answer within `timeoutMs`. */
  call<T>(body: TRequest, timeoutMs = 60_000): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      if (!this.child.connected) {
        reject(new Error(`${this.label} is not running`))
        return
      }
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new Error(`${this.label}: no answer to ${JSON.stringify(body)} in ${timeoutMs} ms`))
      }, timeoutMs)
      this.#pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer)
          resolve(value as T)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
      this.child.send({ id, body } satisfies Request)
    })
  }

  /** Disconnects (the child exits by itself), and kills it if it has not within 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    if (this.child.connected) this.child.disconnect()
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    await this.#exited
    clearTimeout(timer)
  }
}

/**
 * In the child: answers every call with what `handler` returns (or throws), and
 * exits when the parent disconnects (or dies).
 */
export function serveParent<TRequest>(handler: (body: TRequest) => unknown): void {
  process.on('message', (message: Request) => {
    Promise.resolve()
      .then(() => handler(message.body as TRequest))
      .then(
        (value) => process.send?.({ id: message.id, ok: true, value } satisfies Answer),
        (error: unknown) =>
          process.send?.({
            id: message.id,
            ok: false,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          } satisfies Answer),
      )
  })
  process.on('disconnect', () => process.exit(0))
}

/** In the child: tells the parent it is ready, with a value (a port, say). */
export function announceReady(value: unknown): void {
  process.send?.({ ready: value })
}
