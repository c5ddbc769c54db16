import {
  AFTER_PARAM,
  type Codec,
  createParser,
  END_EVENT,
  formatEventId,
  type GapInfo,
  type GapReason,
  type HistoryEntry,
  type HistoryPage,
  LIMIT_PARAM,
  parseEventId,
} from '@tidings/schema'
import type { EndedTopics } from './ended-topics.js'
import { HttpError } from './errors.js'
import { matchesTopics } from './history.js'
import type { MemoryHistory } from './memory-history.js'
import type { EventStore } from './store.js'

/** How many events a history page holds when the request does not say (`?limit=`). */
export const HISTORY_LIMIT = 100

/** The most events a history page holds, whatever `?limit=` asks for. */
export const MAX_HISTORY_LIMIT = 1000

/** The longest `after` echoed back in a page's gap. */
const MAX_ECHOED_ID = 256

/** How many events one store read of a history page asks for. */
const STORE_READ = 1000

/** What a history read asks for, besides its topics. */
export interface HistoryQuery {
  readonly after: string | undefined
  readonly limit: number
}

/** Reads `after` and `limit`; a `limit` that is not a whole number from 1 is a 400. */
export function parseHistoryQuery(query: string): HistoryQuery | HttpError {
  const params = new URLSearchParams(query)
  const after = params.get(AFTER_PARAM) || undefined
  const asked = params.get(LIMIT_PARAM)
  let limit = HISTORY_LIMIT
  if (asked !== null) {
    if (!/^[0-9]{1,9}$/.test(asked) || Number(asked) < 1) {
      return new HttpError(
        'invalid_limit',
        `limit must be a whole number from 1 (at most ${MAX_HISTORY_LIMIT} are returned): got ${JSON.stringify(asked.slice(0, 32))}.`,
      )
    }
    limit = Math.min(Number(asked), MAX_HISTORY_LIMIT)
  }
  return { after, limit }
}

/** What a history read needs from the emitter's core. */
export interface HistorySource {
  readonly window: MemoryHistory
  readonly store: EventStore | undefined
  readonly ended: EndedTopics
  readonly codec: Codec
}

/** An event found for a page, with its payload text still encoded. */
interface Found {
  readonly seq: number
  readonly event: string
  readonly data: string
}

/** Reads an encoded SSE block back into its name and data text (the window keeps only bytes). */
function decodeBlock(seq: number, chunk: Uint8Array): Found {
  let found: Found | undefined
  const parser = createParser({
    onEvent: (event) => {
      found ??= { seq, event: event.event, data: event.data }
    },
  })
  parser.feed(chunk)
  if (found === undefined) throw new Error(`History entry ${seq} does not hold an event.`)
  return found
}

/**
 * One page of the history of `topics` after `query.after`: the same events, in
 * the same order, a stream resuming from there would get, at most
 * `query.limit` of them. A page never goes past the end events of its topics
 * once they all ended (`ended`), as a stream closes there.
 *
 * A bad `after` is not an error, as on the stream: the page says so in `gap`
 * and starts at the oldest retained event. End events the history no longer
 * holds come first then, from the tombstones, so a late reader still learns
 * that its topics ended.
 */
export async function readHistoryPage(
  source: HistorySource,
  topics: ReadonlySet<string>,
  query: HistoryQuery,
): Promise<HistoryPage> {
  const { window, store, ended } = source
  const epoch = window.epoch
  const list = [...topics]
  const found: Found[] = []
  let gap: GapInfo | null = null
  // The seq up to which the reader has the history, and where the read goes on after.
  let had = -1
  let cursor = -1
  const skip = (reason: GapReason): void => {
    const to = window.oldest() - 1
    if (query.after !== undefined) {
      gap = { reason, lastEventId: query.after.slice(0, MAX_ECHOED_ID) }
    }
    for (const tombstone of ended.some(list, epoch)) {
      if (tombstone.seq > had && tombstone.seq <= to && found.length < query.limit) {
        found.push(decodeBlock(tombstone.seq, tombstone.chunk))
      }
    }
    cursor = Math.max(cursor, to)
  }
  if (query.after === undefined) skip('expired')
  else {
    const parsed = parseEventId(query.after)
    if (parsed === undefined) skip('malformed')
    else if (parsed.epoch !== epoch) skip('other-epoch')
    else {
      had = parsed.seq
      cursor = parsed.seq
      // Ahead of this history: a gap, unless a store knows the id (this process lags behind it).
      if (parsed.seq > window.head()) {
        const known =
          store !== undefined && (await store.read(epoch, parsed.seq, 1)).kind === 'events'
        if (!known) {
          gap = { reason: 'unknown', lastEventId: query.after.slice(0, MAX_ECHOED_ID) }
          cursor = window.head()
        }
      }
    }
  }
  const all = ended.all(list, epoch)
  const stop = all === undefined ? Number.POSITIVE_INFINITY : all[all.length - 1]!.seq
  let ahead = false
  while (found.length < query.limit && cursor < Math.min(stop, window.head())) {
    if (window.covers(cursor)) {
      const page = window.page(cursor, topics, Number.POSITIVE_INFINITY, query.limit - found.length)
      let last = page.last
      for (const entry of page.entries) {
        if (entry.seq > stop) {
          last = stop
          break
        }
        found.push(decodeBlock(entry.seq, entry.chunk))
      }
      cursor = Math.min(last, stop)
      continue
    }
    if (store === undefined) {
      if (cursor > window.head()) {
        ahead = true
        break
      }
      skip('expired')
      continue
    }
    const result = await store.read(epoch, cursor, STORE_READ)
    if (result.kind === 'gap') {
      if (result.reason === 'unknown') {
        ahead = true
        break
      }
      skip(result.reason)
      if (!window.covers(cursor)) break
      continue
    }
    if (result.events.length === 0) break
    for (const event of result.events) {
      if (found.length >= query.limit) break
      if (event.seq > stop) {
        cursor = stop
        break
      }
      cursor = event.seq
      if (matchesTopics(event.topics, topics)) found.push(event)
    }
  }
  if (ahead && gap === null && query.after !== undefined) {
    gap = { reason: 'unknown', lastEventId: query.after.slice(0, MAX_ECHOED_ID) }
    cursor = window.head()
  }
  const events: HistoryEntry[] = found.map((event) => ({
    id: formatEventId(epoch, event.seq),
    event: event.event,
    data: decodeData(source.codec, event),
  }))
  const isEnded = all !== undefined && cursor >= stop
  return {
    events,
    next: formatEventId(epoch, cursor),
    last: isEnded || cursor >= window.head(),
    ended: isEnded,
    gap,
  }
}

/** The payload as the app sees it: decoded by the contract's codec (control events are JSON). */
function decodeData(codec: Codec, event: Found): unknown {
  try {
    return event.event === END_EVENT ? JSON.parse(event.data) : codec.decode(event.data)
  } catch {
    return event.data
  }
}

/**
 * A strong validator for a page body: two 32-bit hashes (FNV-1a and a
 * multiplicative one) and the length. Not cryptographic, and it need not be:
 * it only tells a client's cached copy of the same URL from a new one, and it
 * runs on every runtime without `node:crypto` or an async digest.
 */
export function etagOf(body: string): string {
  let a = 0x811c9dc5
  let b = 0x1b873593
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b + c, 0x5bd1e995) ^ (b >>> 15)
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0')
  return `"${body.length.toString(36)}-${hex(a)}${hex(b)}"`
}

/** True when `If-None-Match` names `etag` (or is `*`). */
export function matchesEtag(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false
  for (const part of ifNoneMatch.split(',')) {
    const tag = part.trim().replace(/^W\//, '')
    if (tag === etag || tag === '*') return true
  }
  return false
}
