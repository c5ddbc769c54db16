/**
 * One event as a history keeps it: its place in the order, who it was sent to,
 * and the encoded SSE block written to every connection that receives it.
 */
export interface HistoryEntry {
  /** The position in the history: 1 for the first event, then 2, 3... */
  readonly seq: number
  /** The wire id, `<epoch>-<seq>`. */
  readonly id: string
  /** The topics the event was sent to; `undefined` for a broadcast (every connection). */
  readonly topics: readonly string[] | undefined
  /** The encoded block (`id:`, `event:`, `data:` lines and a blank line), shared by all readers. */
  readonly chunk: Uint8Array
}

/** An event about to be appended: the store assigns its id and encodes it. */
export interface NewEntry {
  /** The event name. */
  readonly event: string
  /** The codec-encoded payload text. */
  readonly data: string
  /** The topics it is sent to; `undefined` for a broadcast. */
  readonly topics: readonly string[] | undefined
}

/**
 * Where an emitter keeps the events it can replay. The emitter only talks to
 * this interface, so another store (Redis Streams, say) can replace the
 * embedded {@link createMemoryHistory} without touching the transport code.
 *
 * Calls are synchronous: `emit` returns the id at once, and a resume reads the
 * history up to the head in the same tick it goes live, which is what makes the
 * switch from replay to live free of gaps and duplicates.
 */
export interface HistoryStore {
  /** The history's epoch: the first part of every id it hands out. */
  readonly epoch: string
  /** Assigns the next id, encodes and retains the event (evicting old ones) and returns it. */
  append(entry: NewEntry): HistoryEntry
  /** The seq of the newest event ever appended, `0` before the first. */
  head(): number
  /** The seq of the oldest retained event; `head() + 1` when none is retained. */
  oldest(): number
  /**
   * The retained events after `seq`, oldest first, that a connection subscribed
   * to `topics` receives (broadcasts always match), at most `limit` of them.
   */
  readAfter(seq: number, topics: ReadonlySet<string>, limit?: number): HistoryEntry[]
  /** The newest `count` retained events matching `topics`, oldest first. */
  readLatest(count: number, topics: ReadonlySet<string>): HistoryEntry[]
}

/** True when a connection subscribed to `topics` receives an event sent to `entryTopics`. */
export function matchesTopics(
  entryTopics: readonly string[] | undefined,
  topics: ReadonlySet<string>,
): boolean {
  if (entryTopics === undefined) return true
  if (topics.size === 0) return false
  for (let i = 0; i < entryTopics.length; i++) if (topics.has(entryTopics[i]!)) return true
  return false
}
