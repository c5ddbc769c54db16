import type { Connection, DisconnectReason } from './connection.js'
import { concatBytes } from './frames.js'
import { type HistoryEntry, matchesTopics } from './history.js'

/** The connections that share one topic set, and so receive exactly the same bytes. */
export interface Group {
  readonly key: string
  /** The topics, shared by all members (one Set per distinct subscription, not per connection). */
  readonly topics: ReadonlySet<string>
  /** The same topics as a list, for hooks. */
  readonly list: readonly string[]
  readonly members: Set<Connection>
}

/** The counters behind `emitter.stats()`. */
export interface Counters {
  eventsEmitted: number
  bytesWritten: number
  eventsDropped: number
  slowConsumers: number
  connectionsOpened: number
  requestsRejected: number
}

/** What the hub reports to the emitter. */
export interface HubEvents {
  disconnected(connection: Connection, reason: DisconnectReason): void
  /** A transport threw while being written to; it has been torn down. */
  failed(connection: Connection, error: unknown): void
}

// setImmediate runs after the I/O callbacks of the current turn; edge runtimes
// without it get the nearest equivalent.
const scheduleFlush: (flush: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (flush) => globalThis.setImmediate(flush)
    : (flush) => globalThis.setTimeout(flush, 0)

/**
 * The fan-out. Events emitted within one tick are queued and flushed at the end
 * of it: each group of connections with the same topics gets one buffer holding
 * all its events of the tick (built once per group, not per connection), written
 * with one call per connection.
 */
export class Hub {
  readonly counters: Counters = {
    eventsEmitted: 0,
    bytesWritten: 0,
    eventsDropped: 0,
    slowConsumers: 0,
    connectionsOpened: 0,
    requestsRejected: 0,
  }
  size = 0
  readonly #groups = new Map<string, Group>()
  #pending: HistoryEntry[] = []
  #scheduled = false
  readonly #flush = (): void => this.flush()

  constructor(
    readonly maxBufferBytes: number,
    readonly events: HubEvents,
  ) {}

  /** Queues an entry for the flush at the end of this event-loop turn. */
  publish(entry: HistoryEntry): void {
    this.#pending.push(entry)
    this.counters.eventsEmitted++
    if (!this.#scheduled) {
      this.#scheduled = true
      // A macrotask, not a microtask: events from separate callbacks of one
      // event-loop turn (requests, messages, timers) then share one write per
      // connection, at the cost of at most one turn of latency (bench/README.md).
      scheduleFlush(this.#flush)
    }
  }

  /**
   * Writes every pending event to its connections now. Also called right before
   * a connection joins, so that what it reads from history and what it receives
   * live meet exactly at the head.
   */
  flush(): void {
    this.#scheduled = false
    const pending = this.#pending
    if (pending.length === 0) return
    this.#pending = []
    if (this.#groups.size === 0) return
    let broadcastOnly = true
    let total = 0
    for (const entry of pending) {
      total += entry.chunk.byteLength
      if (entry.topics !== undefined) broadcastOnly = false
    }
    if (broadcastOnly) {
      const chunk = concatBytes(
        pending.map((entry) => entry.chunk),
        total,
      )
      for (const group of this.#groups.values()) this.#sendGroup(group, chunk, pending.length)
      return
    }
    const chunks: Uint8Array[] = []
    for (const group of this.#groups.values()) {
      let bytes = 0
      chunks.length = 0
      for (const entry of pending) {
        if (matchesTopics(entry.topics, group.topics)) {
          chunks.push(entry.chunk)
          bytes += entry.chunk.byteLength
        }
      }
      if (chunks.length > 0) this.#sendGroup(group, concatBytes(chunks, bytes), chunks.length)
    }
  }

  /** Writes the same bytes to every connection (the heartbeat). */
  sendAll(chunk: Uint8Array): void {
    for (const group of this.#groups.values()) this.#sendGroup(group, chunk, 0)
  }

  #sendGroup(group: Group, chunk: Uint8Array, events: number): void {
    // A send may cut a connection off, which deletes it from this set: Set
    // iteration tolerates deleting the current element.
    for (const connection of group.members) {
      try {
        connection.send(chunk, events)
      } catch (error) {
        // One broken transport must not stop the fan-out to the others.
        connection.destroy()
        this.events.failed(connection, error)
      }
    }
  }

  /**
   * The group for a set of (valid, deduplicated) topics, created when new. Call
   * it in the same synchronous step as `add`, so an empty group never lingers.
   */
  group(topics: readonly string[]): Group {
    const list = [...topics].sort()
    const key = list.join('\n')
    let group = this.#groups.get(key)
    if (!group) {
      group = { key, topics: new Set(list), list, members: new Set() }
      this.#groups.set(key, group)
    }
    return group
  }

  /** Adds a connection to the live fan-out, in the group it was created with. */
  add(connection: Connection): void {
    connection.group.members.add(connection)
    this.size++
    this.counters.connectionsOpened++
  }

  /** Removes a connection (idempotent) and reports why. */
  remove(connection: Connection, reason: DisconnectReason): void {
    if (connection.closed) return
    connection.closed = true
    if (reason === 'slow') {
      this.counters.slowConsumers++
      this.counters.eventsDropped += connection.pendingEvents
    }
    const { group } = connection
    if (group.members.delete(connection)) {
      this.size--
      if (group.members.size === 0 && this.#groups.get(group.key) === group) {
        this.#groups.delete(group.key)
      }
    }
    this.events.disconnected(connection, reason)
  }

  /** Every live connection, for shutdown. */
  connections(): Connection[] {
    const out: Connection[] = []
    for (const group of this.#groups.values())
      for (const connection of group.members) out.push(connection)
    return out
  }
}
