import type { Connection, DisconnectReason } from './connection.js'
import { concatBytes } from './frames.js'
import { type HistoryEntry, preciseNow } from './history.js'
import { Counters } from './stats.js'
import { taggedChunk } from './tagged.js'

/** The connections that share one topic set, and so receive exactly the same events. */
export interface Group {
  readonly key: string
  /** The topics, shared by all members (one Set per distinct subscription, not per connection). */
  readonly topics: ReadonlySet<string>
  /** The same topics as a list, for hooks. */
  readonly list: readonly string[]
  /** Its members asked for each event's topics (`eventTopics=1`): they get tagged chunks. */
  readonly tagged: boolean
  /** The live connections (their replay, if any, is done). */
  readonly members: Set<Connection>
  /** Connections holding this group, live or still starting; it is indexed while above 0. */
  refs: number
  /** Scratch of one flush: the entries that reach this group, their positions in the flush, their size. */
  readonly batch: HistoryEntry[]
  readonly positions: number[]
  bytes: number
}

/** What the hub reports to the emitter. */
export interface HubEvents {
  disconnected(connection: Connection, reason: DisconnectReason): void
  /** A transport threw while being written to; it has been torn down. */
  failed(connection: Connection, error: unknown): void
  /** True when every topic of the group ended: its live streams end once they got the end. */
  finished(group: Group): boolean
}

// setImmediate runs after the I/O callbacks of the current turn; edge runtimes
// without it get the nearest equivalent.
const scheduleFlush: (flush: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (flush) => globalThis.setImmediate(flush)
    : (flush) => globalThis.setTimeout(flush, 0)

/**
 * The most bytes one flush may spend on concatenated buffers. A group's events
 * of a tick are joined into one buffer (one write per connection, shared by
 * every group that receives exactly the same events) while this lasts; past it,
 * connections get the shared event buffers one after the other (the transport
 * corks them into one vectored write). So a burst costs its own size once, not
 * once per topic set.
 */
const JOIN_BUDGET = 1024 * 1024

/**
 * The fan-out. Events emitted within one tick are queued and flushed at the end
 * of it. Groups are indexed by topic, so an event reaches its groups without a
 * scan of all of them: a targeted emit costs what it reaches.
 */
export class Hub {
  readonly counters = new Counters()
  /** Open streams, live or still starting. */
  size = 0
  readonly #all = new Set<Connection>()
  readonly #groups = new Map<string, Group>()
  readonly #byTopic = new Map<string, Set<Group>>()
  #live = 0
  #pending: HistoryEntry[] = []
  /** Topics whose end event is among the pending entries. */
  #ends: string[] = []
  #scheduled = false
  readonly #flush = (): void => this.flush()

  constructor(
    readonly maxBufferBytes: number,
    readonly events: HubEvents,
  ) {}

  /** Streams in the live fan-out (their replay is done). */
  get liveCount(): number {
    return this.#live
  }

  /** Queues an entry for the flush at the end of this event-loop turn. */
  publish(entry: HistoryEntry, count = true): void {
    this.#pending.push(entry)
    if (count) this.counters.eventsEmitted++
    if (!this.#scheduled) {
      this.#scheduled = true
      // A macrotask, not a microtask: events from separate callbacks of one
      // event-loop turn (requests, messages, timers) then share one write per
      // connection, at the cost of at most one turn of latency (bench/README.md).
      scheduleFlush(this.#flush)
    }
  }

  /**
   * Queues the end event of `topic` (as `publish`); once the flush wrote it, the
   * live streams whose topics have all ended are ended.
   */
  publishEnd(entry: HistoryEntry, topic: string): void {
    this.#ends.push(topic)
    this.publish(entry)
  }

  /**
   * Writes every pending event to its connections now. Also called right before
   * a connection joins, so that what it read from history and what it receives
   * live meet exactly at the head.
   */
  flush(): void {
    this.#scheduled = false
    const pending = this.#pending
    if (pending.length === 0) return
    this.#pending = []
    const ends = this.#ends
    if (ends.length > 0) this.#ends = []
    this.#send(pending)
    if (ends.length > 0) this.#finish(ends)
  }

  #send(pending: readonly HistoryEntry[]): void {
    const now = preciseNow()
    const { emitToWrite } = this.counters
    let broadcastOnly = true
    let total = 0
    for (const entry of pending) {
      emitToWrite.record(Math.max(0, now - entry.at))
      total += entry.chunk.byteLength
      if (entry.topics !== undefined) broadcastOnly = false
    }
    if (this.#live === 0) return
    if (broadcastOnly) {
      const joined = total <= JOIN_BUDGET ? concatBytes(pending, total) : undefined
      for (const group of this.#groups.values()) this.#sendGroup(group, joined, pending)
      return
    }
    const touched: Group[] = []
    for (let position = 0; position < pending.length; position++) {
      const entry = pending[position]!
      if (entry.topics === undefined) {
        for (const group of this.#groups.values()) collect(group, entry, position, touched)
        continue
      }
      for (const topic of entry.topics) {
        const groups = this.#byTopic.get(topic)
        if (groups) for (const group of groups) collect(group, entry, position, touched)
      }
    }
    let budget = JOIN_BUDGET
    const joins = new Map<string, Uint8Array>()
    for (const group of touched) {
      const { batch } = group
      if (group.tagged) {
        // Opted-in connections: the tagged copies (built once per event), one after the other.
        this.#sendGroup(group, undefined, batch.map(taggedChunk))
      } else {
        let joined: Uint8Array | undefined
        if (batch.length === 1) joined = batch[0]!.chunk
        else {
          const key = group.positions.join()
          joined = joins.get(key)
          if (joined === undefined && group.bytes <= budget) {
            joined = concatBytes(batch, group.bytes)
            budget -= group.bytes
            joins.set(key, joined)
          }
        }
        this.#sendGroup(group, joined, batch)
      }
      batch.length = 0
      group.positions.length = 0
      group.bytes = 0
    }
  }

  /** Ends the live streams whose every topic ended, now that they were sent the end events. */
  #finish(topics: readonly string[]): void {
    for (const topic of topics) {
      const groups = this.#byTopic.get(topic)
      if (groups === undefined) continue
      for (const group of [...groups]) {
        if (group.members.size === 0 || !this.events.finished(group)) continue
        for (const connection of [...group.members]) connection.end(undefined, 'ended')
      }
    }
  }

  /** The heartbeat tick, for every open stream (see `Connection.heartbeat`). */
  heartbeat(chunk: Uint8Array): void {
    for (const connection of this.#all) {
      if (connection.closed) continue
      try {
        connection.heartbeat(chunk)
      } catch (error) {
        this.#failed(connection, error)
      }
    }
  }

  #sendGroup(
    group: Group,
    joined: Uint8Array | undefined,
    batch: readonly { readonly chunk: Uint8Array }[],
  ): void {
    // A send may cut a connection off, which deletes it from this set: Set
    // iteration tolerates deleting the current element.
    for (const connection of group.members) {
      try {
        if (joined === undefined) connection.sendMany(batch, batch.length)
        else connection.send(joined, batch.length)
      } catch (error) {
        this.#failed(connection, error)
      }
    }
  }

  #failed(connection: Connection, error: unknown): void {
    // One broken transport must not stop the fan-out to the others.
    connection.destroy()
    this.events.failed(connection, error)
  }

  /**
   * The group for a set of (valid, deduplicated) topics: the indexed one, or a
   * new one that `attach` indexes. Call both in the same synchronous step.
   * Connections that asked for each event's topics (`tagged`) get groups of their own.
   */
  group(topics: readonly string[], tagged = false): Group {
    const list = [...topics].sort()
    // A control character cannot be part of a topic, so the two kinds of keys never meet.
    const key = tagged ? `\u0001${list.join('\n')}` : list.join('\n')
    return (
      this.#groups.get(key) ?? {
        key,
        topics: new Set(list),
        list,
        tagged,
        members: new Set(),
        refs: 0,
        batch: [],
        positions: [],
        bytes: 0,
      }
    )
  }

  /** Counts a new stream (it starts: hello, then replay) and indexes its group. */
  attach(connection: Connection): void {
    const { group } = connection
    if (group.refs++ === 0) {
      this.#groups.set(group.key, group)
      for (const topic of group.list) {
        const groups = this.#byTopic.get(topic)
        if (groups) groups.add(group)
        else this.#byTopic.set(topic, new Set([group]))
      }
    }
    this.#all.add(connection)
    this.size++
    this.counters.connectionsOpened++
    this.counters.transports[connection.transport]++
  }

  /** Adds a started connection to the live fan-out. */
  goLive(connection: Connection): void {
    if (connection.closed) return
    connection.starting = undefined
    connection.group.members.add(connection)
    this.#live++
  }

  /** Cuts off a connection that holds more than `maxBufferBytes` unread, and counts it. */
  cutOff(connection: Connection, events: number): void {
    this.counters.slowConsumers++
    this.counters.eventsDropped += events
    this.remove(connection, 'slow')
    connection.abort('slow')
  }

  /** Removes a connection (idempotent) and reports why. */
  remove(connection: Connection, reason: DisconnectReason): void {
    if (connection.closed) return
    connection.closed = true
    connection.starting = undefined
    const { group } = connection
    if (group.members.delete(connection)) this.#live--
    if (--group.refs === 0) {
      this.#groups.delete(group.key)
      for (const topic of group.list) {
        const groups = this.#byTopic.get(topic)
        if (groups?.delete(group) && groups.size === 0) this.#byTopic.delete(topic)
      }
    }
    this.#all.delete(connection)
    this.size--
    this.counters.transports[connection.transport]--
    this.events.disconnected(connection, reason)
  }

  /** Every open stream, for shutdown. */
  connections(): Connection[] {
    return [...this.#all]
  }
}

/** Adds `entry` to a group's batch of this flush, once however many of its topics match. */
function collect(group: Group, entry: HistoryEntry, position: number, touched: Group[]): void {
  if (group.members.size === 0) return
  const { positions } = group
  const last = positions.length - 1
  if (last >= 0 && positions[last] === position) return
  if (last < 0) touched.push(group)
  positions.push(position)
  group.batch.push(entry)
  group.bytes += entry.chunk.byteLength
}
