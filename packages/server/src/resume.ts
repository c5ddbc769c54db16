import { type GapReason, parseEventId } from '@tidings/schema'
import type { HistoryEntry, HistoryStore } from './history.js'

/** What a new stream starts with, decided from the history at the moment it goes live. */
export type StartPlan =
  /** A fresh connection: a bookmark at the head, then the `replay=N` newest events. */
  | { readonly kind: 'fresh'; readonly head: number; readonly entries: readonly HistoryEntry[] }
  /** A resume the history can serve: the events after the client's id. */
  | { readonly kind: 'resume'; readonly entries: readonly HistoryEntry[] }
  /** A resume it cannot serve: a gap event at the head, then live. */
  | { readonly kind: 'gap'; readonly head: number; readonly reason: GapReason }

/**
 * Decides how a stream starts. Called synchronously right before the connection
 * joins the live fan-out, so the entries read here end exactly where live
 * delivery begins.
 */
export function planStart(
  history: HistoryStore,
  lastEventId: string | undefined,
  replay: number,
  topics: ReadonlySet<string>,
): StartPlan {
  if (lastEventId === undefined) {
    const entries = replay > 0 ? history.readLatest(replay, topics) : []
    return { kind: 'fresh', head: history.head(), entries }
  }
  const head = history.head()
  const parsed = parseEventId(lastEventId)
  if (!parsed) return { kind: 'gap', head, reason: 'malformed' }
  if (parsed.epoch !== history.epoch) return { kind: 'gap', head, reason: 'other-epoch' }
  if (parsed.seq > head) return { kind: 'gap', head, reason: 'unknown' }
  // Resumable when the event right after the client's id is still retained.
  if (parsed.seq + 1 < history.oldest()) return { kind: 'gap', head, reason: 'expired' }
  return { kind: 'resume', entries: history.readAfter(parsed.seq, topics) }
}
