import { encodeEvent, formatEventId } from '@tidings/schema'
import { toBytes } from './frames.js'

/**
 * One event as the emitter keeps and sends it: its place in the order, who it
 * goes to, and the encoded SSE block written to every connection that receives
 * it (built once per event per process).
 */
export interface HistoryEntry {
  /** The position in the history's order; consecutive within an epoch. */
  readonly seq: number
  /** The wire id, `<epoch>-<seq>`. */
  readonly id: string
  /** The topics the event was sent to; `undefined` for a broadcast (every connection). */
  readonly topics: readonly string[] | undefined
  /** The encoded block (`id:`, `event:`, `data:` lines and a blank line), shared by all readers. */
  readonly chunk: Uint8Array
  /** When it was emitted (ms since the Unix epoch, with fractions): for retention and latency. */
  readonly at: number
}

/** Encodes an event once, for every connection and the history. */
export function createEntry(
  epoch: string,
  seq: number,
  event: string,
  data: string,
  topics: readonly string[] | undefined,
  at: number,
): HistoryEntry {
  const id = formatEventId(epoch, seq)
  return { seq, id, topics, chunk: toBytes(encodeEvent({ id, event, data })), at }
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

// Wall-clock milliseconds with sub-millisecond precision, comparable between the
// processes of one machine (the emit-to-write latency crosses processes with a store).
const origin = globalThis.performance.timeOrigin
export const preciseNow = (): number => origin + globalThis.performance.now()
