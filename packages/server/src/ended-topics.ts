import { END_EVENT, type EndInfo, type EndReason } from '@tidings/schema'
import type { HistoryEntry } from './history.js'

/** What `createEmitter` remembers of ended topics (the tombstones). */
export interface EndedTopicsOptions {
  /**
   * How long the server remembers that a topic ended, in milliseconds: while it
   * does, emitting to the topic throws, a late client gets the end (and the
   * history that is still retained before it) and is closed, and a reconnect
   * that already has the end gets 204. Keep it longer than the history's
   * `maxAgeMs`, so the end outlives the events before it. Past it, the topic is
   * forgotten: it is a new topic again.
   * @defaultValue 86400000 (a day)
   */
  maxAgeMs?: number | undefined
  /**
   * The most ended topics remembered; past it the oldest end is forgotten first.
   * A tombstone costs about the size of its topic and end event (~200 bytes).
   * @defaultValue 100000
   */
  maxTopics?: number | undefined
}

/** What the server remembers of one ended topic. */
export interface Tombstone {
  readonly topic: string
  readonly reason: EndReason
  /** The seq of the end event in the history (`epoch`). */
  readonly seq: number
  readonly epoch: string
  /** The encoded end event, to send once the history no longer holds it. */
  readonly chunk: Uint8Array
  /** When it was learned (ms since the Unix epoch): for `maxAgeMs`. */
  readonly learned: number
}

/** The `data` of an end event for `topic`; JSON whatever the contract's codec (like the gap). */
export function endData(topic: string, reason: EndReason): string {
  const info: EndInfo = { topic, reason }
  return JSON.stringify(info)
}

/**
 * The topic and reason of a history event that is an end event: named
 * {@link END_EVENT}, sent to exactly one topic, with an {@link EndInfo} for
 * that topic. `undefined` for anything else (nothing an app can emit: the
 * contract refuses the `tidings:` prefix).
 */
export function readEnd(
  event: string,
  data: string,
  topics: readonly string[] | undefined,
): EndInfo | undefined {
  if (event !== END_EVENT || topics?.length !== 1) return undefined
  try {
    const info = JSON.parse(data) as { topic?: unknown; reason?: unknown } | null
    const topic = topics[0]!
    if (info === null || info.topic !== topic || typeof info.reason !== 'string') return undefined
    return { topic, reason: info.reason }
  } catch {
    return undefined
  }
}

/**
 * The topics that ended, remembered longer than their events (bounded by count
 * and age), and the topics this process is ending (its end is on its way
 * through a shared store). A Map keeps insertion order, which is the order the
 * ends were learned in, so the oldest are evicted from the front.
 */
export class EndedTopics {
  readonly #ended = new Map<string, Tombstone>()
  readonly #ending = new Set<string>()

  constructor(
    readonly maxTopics: number,
    readonly maxAgeMs: number,
    readonly now: () => number,
  ) {}

  /** How many ended topics are remembered. */
  get size(): number {
    this.#prune()
    return this.#ended.size
  }

  /** True when `topic` ended or this process is ending it: no event may follow. */
  closed(topic: string): boolean {
    return this.#ending.has(topic) || this.get(topic) !== undefined
  }

  /** The tombstone of `topic`, if it ended and is still remembered. */
  get(topic: string): Tombstone | undefined {
    const tombstone = this.#ended.get(topic)
    if (tombstone === undefined) return undefined
    if (tombstone.learned < this.now() - this.maxAgeMs) {
      this.#prune()
      return undefined
    }
    return tombstone
  }

  /** This process asked the store to end `topic`; `false` if it was already ended or ending. */
  begin(topic: string): boolean {
    if (this.closed(topic)) return false
    this.#ending.add(topic)
    return true
  }

  /** The store refused the end: the topic is open again (the caller got the error). */
  abandon(topic: string): void {
    this.#ending.delete(topic)
  }

  /** Remembers an end event of the history (the first one of a topic counts). */
  add(entry: HistoryEntry, epoch: string, info: EndInfo): void {
    this.#ending.delete(info.topic)
    if (this.get(info.topic) !== undefined) return
    if (this.maxTopics === 0) return
    this.#ended.set(info.topic, {
      topic: info.topic,
      reason: info.reason,
      seq: entry.seq,
      epoch,
      chunk: entry.chunk,
      learned: this.now(),
    })
    if (this.#ended.size > this.maxTopics) {
      const oldest = this.#ended.keys().next().value
      if (oldest !== undefined) this.#ended.delete(oldest)
    }
  }

  /**
   * The tombstones of `topics` in `epoch`, by seq, when every one of them ended;
   * `undefined` when one is still open (or there are none: a broadcast-only
   * subscription never ends).
   */
  all(topics: Iterable<string>, epoch: string): Tombstone[] | undefined {
    const found: Tombstone[] = []
    for (const topic of topics) {
      const tombstone = this.get(topic)
      if (tombstone === undefined || tombstone.epoch !== epoch) return undefined
      found.push(tombstone)
    }
    if (found.length === 0) return undefined
    return found.sort((a, b) => a.seq - b.seq)
  }

  /** The tombstones among `topics` in `epoch`, by seq (some may still be open). */
  some(topics: Iterable<string>, epoch: string): Tombstone[] {
    const found: Tombstone[] = []
    for (const topic of topics) {
      const tombstone = this.get(topic)
      if (tombstone !== undefined && tombstone.epoch === epoch) found.push(tombstone)
    }
    return found.sort((a, b) => a.seq - b.seq)
  }

  /** The history was replaced (a shared store was reset): its ends went with it. */
  clear(): void {
    this.#ended.clear()
    this.#ending.clear()
  }

  #prune(): void {
    const cutoff = this.now() - this.maxAgeMs
    for (const [topic, tombstone] of this.#ended) {
      if (tombstone.learned >= cutoff) break
      this.#ended.delete(topic)
    }
  }
}
