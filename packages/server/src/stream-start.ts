import { formatEventId, type GapReason, parseEventId } from '@tidings/schema'
import type { Connection } from './connection.js'
import { type EndedTopics, readEnd } from './ended-topics.js'
import { gapBlock, toBytes } from './frames.js'
import { createEntry, type HistoryEntry, matchesTopics } from './history.js'
import type { Hub } from './hub.js'
import type { MemoryHistory } from './memory-history.js'
import type { EventStore } from './store.js'
import { taggedChunk } from './tagged.js'

/** What a start needs from the emitter's core. */
export interface StartHost {
  readonly hub: Hub
  /** The local history (the whole history without a store, the window with one). */
  readonly window: MemoryHistory
  readonly store: EventStore | undefined
  readonly ended: EndedTopics
  /** True when every one of `topics` ended (the stream ends once it got the ends). */
  finished(topics: readonly string[]): boolean
  /** The most bytes of replay handed to a transport at once. */
  readonly pageBytes: number
  /** Calls `start.run()` again once the window's head reaches `start.cursor`. */
  waitForHead(start: StreamStart): void
  /** The store could not be read: report it and end the stream (the client resumes later). */
  readFailed(start: StreamStart, error: unknown): void
}

// The first read from a store asks for this many events; later reads size
// themselves from the events seen so far, so a page stays near `pageBytes`.
const FIRST_READ = 64
const MAX_READ = 1000

/**
 * The start of one stream: the replay after its resume position, page by page,
 * then the switch to live. A page is handed to the transport only once it took
 * the previous one (`drained`), so a client that does not read holds at most a
 * page of replay however far back it resumes. Pages come from the local
 * history while it holds them, and from the shared store before that.
 *
 * The switch is exact: the last page is read up to the head right after the
 * pending live events were flushed, and the connection joins the fan-out in
 * the same synchronous step, so no event is missed or sent twice in between.
 */
export class StreamStart {
  /** The seq the next page starts after: the last one written or skipped (another topic). */
  cursor: number
  readonly #epoch: string
  #running = false
  #again = false
  /** A store read is in flight, or the start waits for the window to reach the cursor. */
  #busy = false
  /** Events read from the store, not yet handed over, and the seq they reach. */
  #fetched: HistoryEntry[] = []
  #fetchedLast = 0
  #readSize = FIRST_READ
  #replayed = false

  constructor(
    readonly host: StartHost,
    readonly connection: Connection,
    from: number,
    /** The id the client resumed from, echoed by a gap event. */
    readonly lastEventId: string | undefined,
  ) {
    this.cursor = from
    this.#epoch = host.window.epoch
  }

  /** Goes on with the replay while the transport takes it; re-entrant calls are folded. */
  run(): void {
    if (this.#running) {
      this.#again = true
      return
    }
    this.#running = true
    try {
      do {
        this.#again = false
        this.#step()
      } while (this.#again)
    } finally {
      this.#running = false
    }
  }

  #active(): boolean {
    return !this.connection.closed && this.connection.starting === this
  }

  #step(): void {
    const { host, connection } = this
    const { window } = host
    while (this.#active() && !this.#busy) {
      // The history was replaced under the replay (a shared store was reset).
      if (window.epoch !== this.#epoch) {
        this.gap('reset')
        return
      }
      // Every topic ended and the client has the last end: nothing follows, so
      // nothing more is read (with a store, the reads would run on to the head).
      if (this.cursor >= this.#stop()) {
        this.#goLive()
        return
      }
      // A read may hold none of the stream's topics: its cursor moves on all the same.
      if (this.#fetchedLast > this.cursor) {
        const entries = this.#fetched
        this.#fetched = []
        this.cursor = this.#fetchedLast
        if (!this.#write(entries)) return
        continue
      }
      if (window.covers(this.cursor)) {
        host.hub.flush()
        const page = window.page(this.cursor, connection.group.topics, host.pageBytes)
        this.cursor = page.last
        const more = this.#write(page.entries)
        if (this.cursor >= window.head()) {
          this.#goLive()
          return
        }
        if (!more) return
        continue
      }
      const ahead = this.cursor > window.head()
      if (host.store) this.#read(host.store, ahead)
      else this.gap(ahead ? 'unknown' : 'expired')
      return
    }
  }

  /** The seq of the last end when every topic of the stream ended; infinity otherwise. */
  #stop(): number {
    const all = this.host.ended.all(this.connection.group.topics, this.#epoch)
    return all === undefined ? Number.POSITIVE_INFINITY : all[all.length - 1]!.seq
  }

  /**
   * Writes a gap event at the head, then the end events of its ended topics
   * the client may not have had (the gap skipped them), then joins the live
   * fan-out.
   */
  gap(reason: GapReason): void {
    const { hub, window, ended } = this.host
    hub.flush()
    const lost = this.#replayed
      ? formatEventId(this.#epoch, this.cursor)
      : (this.lastEventId ?? formatEventId(this.#epoch, this.cursor))
    const chunk = toBytes(gapBlock(formatEventId(window.epoch, window.head()), reason, lost))
    hub.counters.gaps[reason]++
    hub.counters.bytesWritten += chunk.byteLength
    this.connection.write(chunk)
    const had = this.#had(reason)
    for (const tombstone of ended.some(this.connection.group.topics, window.epoch)) {
      if (tombstone.seq <= had) continue
      hub.counters.bytesWritten += tombstone.chunk.byteLength
      this.connection.write(tombstone.chunk)
    }
    this.#replayed = false
    this.#goLive()
  }

  /** The seq up to which the client surely has the events, in the current history; -1 when unknown. */
  #had(reason: GapReason): number {
    if (this.host.window.epoch !== this.#epoch) return -1
    if (this.#replayed) return this.cursor
    if (reason !== 'expired' || this.lastEventId === undefined) return -1
    return parseEventId(this.lastEventId)?.seq ?? -1
  }

  /** Joins the live fan-out; a stream whose topics all ended (it has the ends) ends instead. */
  #goLive(): void {
    const { host, connection } = this
    if (this.#replayed) host.hub.counters.replays++
    host.hub.goLive(connection)
    if (!connection.closed && host.finished(connection.group.list)) {
      connection.end(undefined, 'ended')
    }
  }

  /** Hands entries to the transport; `false` once it asked to wait. */
  #write(entries: readonly HistoryEntry[]): boolean {
    let more = true
    const { counters } = this.host.hub
    const { tagged } = this.connection.group
    for (const entry of entries) {
      const { chunk } = tagged ? taggedChunk(entry) : entry
      counters.bytesWritten += chunk.byteLength
      more = this.connection.write(chunk)
    }
    if (entries.length > 0) this.#replayed = true
    return more
  }

  #read(store: EventStore, ahead: boolean): void {
    this.#busy = true
    store.read(this.#epoch, this.cursor, this.#readSize).then(
      (result) => {
        this.#busy = false
        if (!this.#active()) return
        if (result.kind === 'gap') {
          this.gap(result.reason)
          return
        }
        const { events } = result
        if (events.length === 0) {
          // Nothing after the cursor yet: this process's reader has not caught up
          // with an id another process handed out. Wait for the feed.
          if (ahead) {
            this.#busy = true
            this.host.waitForHead(this)
          } else this.gap('expired')
          return
        }
        const { topics } = this.connection.group
        let stop = this.#stop()
        let bytes = 0
        let taken = 0
        let last = this.cursor
        for (const event of events) {
          if (event.seq > stop) break
          last = event.seq
          taken++
          const wanted = matchesTopics(event.topics, topics)
          const end = readEnd(event.event, event.data, event.topics)
          // Another topic's event is passed over unencoded: a late resume on a shared
          // store reads many more of those than of its own.
          if (!wanted && end === undefined) {
            bytes += event.data.length
            continue
          }
          const entry = createEntry(
            this.#epoch,
            event.seq,
            event.event,
            event.data,
            event.topics,
            event.at,
          )
          bytes += entry.chunk.byteLength
          if (wanted) this.#fetched.push(entry)
          // A process that opened after the end learns of it from the history it reads.
          if (end !== undefined) {
            this.host.ended.add(entry, this.#epoch, end)
            stop = this.#stop()
          }
        }
        this.#fetchedLast = last
        this.#readSize = Math.max(
          1,
          Math.min(MAX_READ, Math.floor(this.host.pageBytes / (bytes / Math.max(1, taken)))),
        )
        this.run()
      },
      (error: unknown) => {
        this.#busy = false
        if (this.#active()) this.host.readFailed(this, error)
      },
    )
  }

  /** The window reached the cursor: go on (called by the host, once). */
  resume(): void {
    this.#busy = false
    this.run()
  }
}
