/**
 * The soak's verdict for one client, as a pure function of what was emitted and
 * what the client saw, so it can be tested alone (`checker.test.ts`).
 */
import { parseEventId } from '@tidings/schema'

/** One emitted contract event, in emit order (`n` is its index). */
export interface Emitted {
  readonly n: number
  readonly id: string
  /** `null` for a broadcast (`emitter.emit`), else the topics of `emitter.to(...)`. */
  readonly topics: readonly string[] | null
}

/** A `tidings:gap` as the client saw it. */
export interface SeenGap {
  readonly reason: string
  /** The id the client resumed from (`GapInfo.lastEventId`). */
  readonly from: string
  /** The client's position right after the gap (`client.lastEventId` in the handler). */
  readonly to: string | undefined
}

/** What one client recorded. */
export interface ClientLog {
  readonly index: number
  /** Its subscription; empty: broadcasts only. */
  readonly topics: readonly string[]
  /** Every contract event handed to its handler, in order: the payload's `n` and the meta id. */
  readonly received: readonly { readonly n: number; readonly id: string | undefined }[]
  readonly gaps: readonly SeenGap[]
  readonly reconnects: number
  /** How many times the final broadcast reached it (1 is right). */
  readonly finals: number
  /** Errors reported on `tidings:error`, by `name:code`. */
  readonly errors: Readonly<Record<string, number>>
  /** Its status when checked, and `fetch` calls not settled then (for a client that hangs). */
  readonly state?: string | undefined
  readonly pendingFetches?: number | undefined
}

/** The verdict: the columns of the soak's table. */
export interface ClientRow {
  readonly index: number
  readonly topics: readonly string[]
  /** Events it should have received (its topics and broadcasts). */
  readonly sent: number
  /** Distinct expected events it received. */
  readonly received: number
  /** Events received more than once (each extra delivery counts). */
  readonly duplicates: number
  /** Expected events never received and not covered by a signalled gap. */
  readonly lost: number
  /** Expected events never received but inside a signalled gap. */
  readonly covered: number
  /** Deliveries that came after a later event. */
  readonly reordered: number
  /** Events received that were not for it (other topics) or whose id does not match the emit. */
  readonly unexpected: number
  readonly gaps: number
  /** The gaps by `reason`. */
  readonly gapReasons: Readonly<Record<string, number>>
  readonly reconnects: number
  readonly finals: number
  readonly errors: Readonly<Record<string, number>>
  readonly state: string | undefined
  readonly pendingFetches: number | undefined
}

/** Whether `id` falls inside what `gap` said may be missing: after `from`, up to `to`. */
function covers(gap: SeenGap, seq: number): boolean {
  const to = gap.to === undefined ? undefined : parseEventId(gap.to)
  if (!to) return false
  const from = parseEventId(gap.from)
  // An unparsable or foreign starting point (reason malformed, other-epoch): everything up to the gap.
  const after = from && from.epoch === to.epoch ? from.seq : Number.NEGATIVE_INFINITY
  return seq > after && seq <= to.seq
}

/** Checks one client against the emit log. */
export function checkClient(emitted: readonly Emitted[], log: ClientLog): ClientRow {
  const mine = new Set(log.topics)
  const wanted = (event: Emitted): boolean =>
    event.topics === null || event.topics.some((topic) => mine.has(topic))
  const seen = new Set<number>()
  let duplicates = 0
  let reordered = 0
  let unexpected = 0
  let highest = -1
  for (const { n, id } of log.received) {
    const event = emitted[n]
    if (!event || !wanted(event) || event.id !== id) {
      unexpected++
      continue
    }
    if (seen.has(n)) {
      duplicates++
      continue
    }
    seen.add(n)
    if (n < highest) reordered++
    else highest = n
  }
  let sent = 0
  let lost = 0
  let covered = 0
  for (const event of emitted) {
    if (!wanted(event)) continue
    sent++
    if (seen.has(event.n)) continue
    const seq = parseEventId(event.id)?.seq
    if (seq !== undefined && log.gaps.some((gap) => covers(gap, seq))) covered++
    else lost++
  }
  const gapReasons: { [reason: string]: number } = {}
  for (const gap of log.gaps) gapReasons[gap.reason] = (gapReasons[gap.reason] ?? 0) + 1
  return {
    index: log.index,
    topics: log.topics,
    sent,
    received: seen.size,
    duplicates,
    lost,
    covered,
    reordered,
    unexpected,
    gaps: log.gaps.length,
    gapReasons,
    reconnects: log.reconnects,
    finals: log.finals,
    errors: log.errors,
    state: log.state,
    pendingFetches: log.pendingFetches,
  }
}
