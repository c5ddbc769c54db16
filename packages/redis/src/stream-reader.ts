import { createEpoch } from '@tidings/schema'
import { type EventFeed, type EventPosition, type StoredEvent, StoreError } from '@tidings/server'
import { type RedisClient, runScript } from './redis-client.js'
import { ROTATE, script } from './scripts.js'
import { type EpochEvent, parseEntry, type RawEntry } from './stream-entry.js'

/** What the reader needs from its store. */
export interface ReaderOptions {
  /** Its own connection: `XREAD BLOCK` holds it for as long as it blocks. */
  readonly client: RedisClient
  readonly keys: { readonly epoch: string; readonly seq: string; readonly stream: string }
  readonly feed: EventFeed
  readonly blockMs: number
  readonly readCount: number
  /** The store's current epoch and head (creating the epoch when Redis has none). */
  readHead(): Promise<EventPosition>
}

const rotate = script(ROTATE)

/**
 * The entries of the one stream an `XREAD` asked for. Redis answers
 * `[[key, entries]]`; ioredis 6 flattens it to `[key, entries]`: both are read.
 */
function streamEntries(reply: readonly unknown[]): RawEntry[] {
  const pair = typeof reply[0] === 'string' ? reply : reply[0]
  return (Array.isArray(pair) ? pair[1] : undefined) ?? []
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The one reader of a process: a loop of blocking `XREAD`s from its own cursor,
 * handing every entry to the emitter's feed in order, whatever the number of
 * connections. When the connection drops it reports once, waits, reconnects and
 * resumes from the cursor; on the way back it checks that Redis still holds the
 * history it was reading (a restore from an older copy would hand out the same
 * seqs again: it starts a new epoch then, so clients get a gap, not a wrong
 * resume).
 */
export class StreamReader {
  readonly #options: ReaderOptions
  #epoch = ''
  #seq = 0
  #stopped = false
  #down = false
  #check = false
  #skipOtherEpochs: string | undefined
  readonly #onReady = (): void => {
    this.#check = true
  }
  readonly #onReconnecting = (): void => {
    this.#check = true
    this.#report(undefined)
  }
  // The loop hears of every failure through its commands and reports it once
  // per outage; without a listener ioredis would log each reconnection attempt.
  readonly #onError = (): void => {}

  constructor(options: ReaderOptions) {
    this.#options = options
  }

  /** Reads the head (retrying until Redis answers), then starts the loop from it. */
  async start(): Promise<EventPosition> {
    const { client, feed } = this.#options
    client.on('error', this.#onError)
    let delay = 100
    for (;;) {
      try {
        const head = await this.#options.readHead()
        this.#epoch = head.epoch
        this.#seq = head.seq
        break
      } catch (error) {
        if (this.#stopped) throw error
        if (!this.#down) {
          this.#down = true
          feed.error(error)
        }
        await sleep(delay)
        delay = Math.min(delay * 2, 2000)
      }
    }
    this.#down = false
    client.on('ready', this.#onReady)
    client.on('reconnecting', this.#onReconnecting)
    void this.#run()
    return { epoch: this.#epoch, seq: this.#seq }
  }

  /**
   * Stops the loop and closes the reader's connection. It does not wait for a
   * blocked `XREAD`: ioredis may never settle one that was queued while it
   * reconnected, and nothing is delivered once stopped.
   */
  stop(): Promise<void> {
    this.#stopped = true
    const { client } = this.#options
    client.off('ready', this.#onReady)
    client.off('reconnecting', this.#onReconnecting)
    client.disconnect()
    client.off('error', this.#onError)
    return Promise.resolve()
  }

  async #run(): Promise<void> {
    const { client, keys, blockMs, readCount } = this.#options
    let delay = 100
    while (!this.#stopped) {
      try {
        if (this.#check) await this.#recheck()
        const reply = (await client.call(
          'XREAD',
          'COUNT',
          readCount,
          'BLOCK',
          blockMs,
          'STREAMS',
          keys.stream,
          `${this.#seq}-0`,
        )) as unknown[] | null
        if (this.#down) {
          this.#down = false
          delay = 100
        }
        if (reply) this.#deliver(streamEntries(reply))
      } catch (error) {
        if (this.#stopped) return
        this.#check = true
        this.#report(error)
        await sleep(delay)
        delay = Math.min(delay * 2, 2000)
      }
    }
  }

  /** Reports an outage once, however many attempts it takes to end it. */
  #report(cause: unknown): void {
    if (this.#down || this.#stopped) return
    this.#down = true
    this.#options.feed.error(
      new StoreError(
        'unavailable',
        'The Redis reader lost its connection: open streams stay open; it resumes from its own position once Redis is back.',
        { cause },
      ),
    )
  }

  /**
   * After a reconnection: is Redis still the history this reader was reading?
   * Same epoch, but a head below the cursor: restored from an older copy. Its
   * seqs would be handed out again, so start a new epoch and read on from the
   * restored head (the emitter tells its streams about the break).
   */
  async #recheck(): Promise<void> {
    const { client, keys } = this.#options
    const head = await this.#options.readHead()
    this.#check = false
    if (head.seq >= this.#seq) return
    if (head.epoch === this.#epoch) {
      await runScript(client, rotate, [keys.epoch, keys.seq], [this.#epoch, createEpoch()])
      this.#seq = head.seq
      return
    }
    // Another history whose seqs start below the cursor (a replaced Redis whose
    // clock is behind): read it from its start, skipping older epochs' entries.
    this.#seq = 0
    this.#skipOtherEpochs = head.epoch
  }

  #deliver(entries: readonly RawEntry[]): void {
    const { feed } = this.#options
    let batch: StoredEvent[] = []
    let epoch = ''
    let foreign = 0
    for (const raw of entries) {
      const event: EpochEvent | undefined = parseEntry(raw)
      this.#seq = Number(raw[0].split('-')[0])
      if (event === undefined) {
        foreign++
        continue
      }
      if (this.#skipOtherEpochs !== undefined) {
        if (event.epoch !== this.#skipOtherEpochs) continue
        this.#skipOtherEpochs = undefined
      }
      if (event.epoch !== epoch && batch.length > 0) {
        feed.events(epoch, batch)
        batch = []
      }
      epoch = event.epoch
      this.#epoch = event.epoch
      batch.push(event)
    }
    if (batch.length > 0) feed.events(epoch, batch)
    if (foreign > 0) {
      feed.error(
        new StoreError(
          'failed',
          `${foreign} entr${foreign === 1 ? 'y' : 'ies'} of the stream were not written by @tidings/redis and were skipped: is another program writing to this key?`,
        ),
      )
    }
  }
}
