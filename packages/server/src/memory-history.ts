import { createEpoch } from '@tidings/schema'
import { createEntry, type HistoryEntry, matchesTopics, preciseNow } from './history.js'

/** Limits of the in-memory history. */
export interface MemoryHistoryOptions {
  /**
   * How many events to retain; `0` keeps none (every resume after a missed event is a gap).
   * @defaultValue 1000
   */
  maxEvents?: number | undefined
  /**
   * How long an event stays replayable, in milliseconds.
   * @defaultValue 300000 (5 minutes)
   */
  maxAgeMs?: number | undefined
  /** The epoch; a fresh random one by default (each process start is a new history). */
  epoch?: string | undefined
  /** The clock (ms since the Unix epoch), for tests. @defaultValue `Date.now`, with sub-millisecond precision */
  now?: (() => number) | undefined
}

/** One page of a history read: the matching entries, and the last seq the read went through. */
export interface HistoryPage {
  readonly entries: HistoryEntry[]
  /** The seq the next page starts after (entries that did not match count too). */
  readonly last: number
  /** Their total size in bytes. */
  readonly bytes: number
}

/**
 * The events this process can replay at once, in memory, bounded by count and
 * age. Alone it is the emitter's whole history (it hands out the seqs); with a
 * shared store it is the local window the store's feed fills. Seqs are
 * consecutive, so a position is found by index arithmetic (O(1)).
 */
export class MemoryHistory {
  epoch: string
  readonly maxEvents: number
  readonly maxAgeMs: number
  readonly #now: () => number
  // A growing array with a moving start index: eviction is O(1), and the array
  // is compacted once the dead prefix outweighs the live part.
  #entries: HistoryEntry[] = []
  #start = 0
  #head = 0

  constructor(options: {
    maxEvents: number
    maxAgeMs: number
    epoch?: string | undefined
    now?: (() => number) | undefined
  }) {
    this.maxEvents = options.maxEvents
    this.maxAgeMs = options.maxAgeMs
    this.#now = options.now ?? preciseNow
    this.epoch = options.epoch ?? createEpoch()
  }

  /** The seq of the newest event, or of the position before the first. */
  head(): number {
    return this.#head
  }

  /** The seq of the oldest retained event; `head() + 1` when none is retained. */
  oldest(): number {
    this.#prune()
    return this.#oldest()
  }

  /** Whether a client that processed `seq` can be served from here. */
  covers(seq: number): boolean {
    return seq <= this.#head && seq + 1 >= this.oldest()
  }

  /** Assigns the next seq, encodes the event once and retains it. */
  append(
    event: string,
    data: string,
    topics: readonly string[] | undefined,
    at = this.#now(),
  ): HistoryEntry {
    const entry = createEntry(this.epoch, this.#head + 1, event, data, topics, at)
    this.insert(entry)
    return entry
  }

  /** Retains an entry the store ordered; its seq must follow the head. */
  insert(entry: HistoryEntry): void {
    this.#head = entry.seq
    if (this.maxEvents === 0) return
    this.#entries.push(entry)
    if (this.#entries.length - this.#start > this.maxEvents) this.#evict(1)
    this.#prune()
  }

  /** Forgets everything: a new history (`epoch`) whose next event follows `head`. */
  reset(epoch: string, head: number): void {
    this.epoch = epoch
    this.#head = head
    this.#entries = []
    this.#start = 0
  }

  /**
   * The retained entries after `seq` that a connection subscribed to `topics`
   * receives (broadcasts always match), oldest first, until they pass
   * `maxBytes` (at least one is returned, however large) or number `maxCount`.
   */
  page(
    seq: number,
    topics: ReadonlySet<string>,
    maxBytes: number,
    maxCount = Number.POSITIVE_INFINITY,
  ): HistoryPage {
    this.#prune()
    const entries: HistoryEntry[] = []
    let bytes = 0
    let last = seq
    const all = this.#entries
    let index = this.#start + Math.max(0, seq + 1 - this.#oldest())
    while (index < all.length) {
      const entry = all[index++]!
      last = entry.seq
      if (matchesTopics(entry.topics, topics)) {
        entries.push(entry)
        bytes += entry.chunk.byteLength
        if (bytes >= maxBytes || entries.length >= maxCount) break
      }
    }
    return { entries, last: index >= all.length ? this.#head : last, bytes }
  }

  /** The seq before the newest `count` retained events matching `topics` (`head()` when none). */
  before(count: number, topics: ReadonlySet<string>): number {
    this.#prune()
    let seq = this.#head
    let found = 0
    for (let index = this.#entries.length - 1; index >= this.#start && found < count; index--) {
      const entry = this.#entries[index]!
      if (matchesTopics(entry.topics, topics)) {
        found++
        seq = entry.seq - 1
      }
    }
    return seq
  }

  #oldest(): number {
    const first = this.#entries[this.#start]
    return first ? first.seq : this.#head + 1
  }

  #evict(count: number): void {
    this.#start += count
    if (this.#start === this.#entries.length) {
      this.#entries = []
      this.#start = 0
    } else if (this.#start > 64 && this.#start * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#start)
      this.#start = 0
    }
  }

  #prune(): void {
    const cutoff = this.#now() - this.maxAgeMs
    let drop = 0
    const size = this.#entries.length - this.#start
    while (drop < size && this.#entries[this.#start + drop]!.at < cutoff) drop++
    if (drop > 0) this.#evict(drop)
  }
}
