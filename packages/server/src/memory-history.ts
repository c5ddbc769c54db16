import { createEpoch, encodeEvent, formatEventId } from '@tidings/schema'
import { toBytes } from './frames.js'
import { type HistoryEntry, type HistoryStore, matchesTopics, type NewEntry } from './history.js'

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
  /** The clock, for tests. @defaultValue Date.now */
  now?: (() => number) | undefined
}

interface StoredEntry extends HistoryEntry {
  readonly at: number
}

/**
 * The embedded history: the newest events in memory, bounded by count and age.
 * Seqs are consecutive, so the resume point is found by index arithmetic (O(1)).
 *
 * @example
 * const emitter = createEmitter(events, { history: createMemoryHistory({ maxEvents: 5000 }) })
 */
export function createMemoryHistory(options: MemoryHistoryOptions = {}): HistoryStore {
  const maxEvents = options.maxEvents ?? 1000
  const maxAgeMs = options.maxAgeMs ?? 300_000
  const now = options.now ?? Date.now
  const epoch = options.epoch ?? createEpoch()
  if (!Number.isSafeInteger(maxEvents) || maxEvents < 0) {
    throw new RangeError(`history.maxEvents must be a non-negative integer: got ${maxEvents}.`)
  }
  if (!(maxAgeMs > 0)) throw new RangeError(`history.maxAgeMs must be positive: got ${maxAgeMs}.`)

  // A growing array with a moving start index: eviction is O(1), and the array
  // is compacted once the dead prefix outweighs the live part.
  let entries: StoredEntry[] = []
  let start = 0
  let head = 0

  const evict = (count: number): void => {
    start += count
    if (start === entries.length) {
      entries = []
      start = 0
    } else if (start > 64 && start * 2 > entries.length) {
      entries = entries.slice(start)
      start = 0
    }
  }

  const prune = (): void => {
    const cutoff = now() - maxAgeMs
    let drop = 0
    const size = entries.length - start
    while (drop < size && entries[start + drop]!.at < cutoff) drop++
    if (drop > 0) evict(drop)
  }

  const oldest = (): number => {
    const first = entries[start]
    return first ? first.seq : head + 1
  }

  return {
    epoch,
    head: () => head,
    oldest: () => {
      prune()
      return oldest()
    },
    append({ event, data, topics }: NewEntry): HistoryEntry {
      const seq = head + 1
      const id = formatEventId(epoch, seq)
      const chunk = toBytes(encodeEvent({ id, event, data }))
      head = seq
      const entry: StoredEntry = { seq, id, topics, chunk, at: now() }
      if (maxEvents > 0) {
        entries.push(entry)
        if (entries.length - start > maxEvents) evict(1)
        prune()
      }
      return entry
    },
    readAfter(seq, topics, limit = Number.POSITIVE_INFINITY) {
      prune()
      const out: HistoryEntry[] = []
      const first = oldest()
      let index = start + Math.max(0, seq + 1 - first)
      for (; index < entries.length && out.length < limit; index++) {
        const entry = entries[index]!
        if (matchesTopics(entry.topics, topics)) out.push(entry)
      }
      return out
    },
    readLatest(count, topics) {
      prune()
      const out: HistoryEntry[] = []
      for (let index = entries.length - 1; index >= start && out.length < count; index--) {
        const entry = entries[index]!
        if (matchesTopics(entry.topics, topics)) out.push(entry)
      }
      return out.reverse()
    },
  }
}
