import { type GapReason, parseEventId } from '@tidings/schema'
import type { MemoryHistory } from './memory-history.js'

/** How a new stream starts, decided from the local history when it opens. */
export type StartPlan =
  /** A fresh connection: a bookmark at `head`, then the events after `from` (`replay=N`), then live. */
  | { readonly kind: 'fresh'; readonly head: number; readonly from: number }
  /**
   * A resume: the events after `from`, read from the local history while it
   * holds them and from the shared store (if any) before that.
   */
  | { readonly kind: 'resume'; readonly from: number }
  /** A resume nothing can serve: a gap event at the head, then live. */
  | { readonly kind: 'gap'; readonly reason: GapReason }

/**
 * Decides how a stream starts. A pure function of the local history, the
 * client's id and whether a shared store can reach further back or ahead (its
 * reader may not have caught up with an id another process handed out).
 */
export function planStart(
  history: MemoryHistory,
  lastEventId: string | undefined,
  replay: number,
  topics: ReadonlySet<string>,
  shared: boolean,
): StartPlan {
  const head = history.head()
  if (lastEventId === undefined) {
    return { kind: 'fresh', head, from: replay > 0 ? history.before(replay, topics) : head }
  }
  const parsed = parseEventId(lastEventId)
  if (!parsed) return { kind: 'gap', reason: 'malformed' }
  if (parsed.epoch !== history.epoch) return { kind: 'gap', reason: 'other-epoch' }
  if (shared) return { kind: 'resume', from: parsed.seq }
  if (parsed.seq > head) return { kind: 'gap', reason: 'unknown' }
  // Resumable when the event right after the client's id is still retained.
  if (parsed.seq + 1 < history.oldest()) return { kind: 'gap', reason: 'expired' }
  return { kind: 'resume', from: parsed.seq }
}
