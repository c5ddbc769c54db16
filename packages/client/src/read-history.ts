import {
  AFTER_PARAM,
  type AnyContract,
  END_EVENT,
  type EndInfo,
  type EventName,
  type EventOutput,
  type GapInfo,
  type HistoryPage,
  hasEvent,
  LIMIT_PARAM,
  TOPIC_PARAM,
  ValidationError,
  validatePayload,
} from '@tidings/schema'
import { ConnectionError, ResponseError } from './errors.js'

/** The subset of `RequestInit` {@link readHistory} passes to its `fetch`. */
export interface HistoryFetchInit {
  method: 'GET'
  headers: Record<string, string>
  signal?: AbortSignal
  credentials?: 'omit' | 'same-origin' | 'include'
}

/**
 * A minimal structural `fetch` for history reads: the global `fetch` fits, and so
 * does any wrapper. Unlike the stream's, it reads the body as text.
 */
export type HistoryFetchLike = (
  url: string,
  init: HistoryFetchInit,
) => Promise<{
  readonly status: number
  readonly headers: { get(name: string): string | null }
  text(): Promise<string>
}>

/** Options of {@link readHistory} and {@link historyPages}. */
export interface ReadHistoryOptions {
  /** The topics to read (repeated `topic` query parameters), as the stream's `topics`. */
  topics?: readonly string[] | undefined
  /**
   * Return the events after this id (a `client.lastEventId`, or the `next` of
   * the previous page).
   * @defaultValue the oldest event the server retains
   */
  after?: string | undefined
  /** The most events one page may hold; the server bounds it. */
  limit?: number | undefined
  /** Request headers (for example `authorization`). */
  headers?: Record<string, string> | undefined
  /** The request's credentials mode (cookies on cross-origin requests need `include`). */
  credentials?: 'omit' | 'same-origin' | 'include' | undefined
  /** Aborts the read: the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined
  /**
   * The `fetch` to use.
   * @defaultValue `globalThis.fetch`
   */
  fetch?: HistoryFetchLike | undefined
}

/**
 * One event of a history page, typed by the contract: `event` names it and
 * `data` is its validated payload (the schema's output), or, for the end of a
 * topic, `event` is `'tidings:end'` and `data` an {@link EndInfo}.
 */
export type HistoryEvent<TContract extends AnyContract> =
  | {
      [TName in EventName<TContract>]: {
        readonly id: string
        readonly event: TName
        readonly data: EventOutput<TContract, TName>
      }
    }[EventName<TContract>]
  | { readonly id: string; readonly event: typeof END_EVENT; readonly data: EndInfo }

/** A page of history as {@link readHistory} returns it: the wire's page, its events typed. */
export interface TypedHistoryPage<TContract extends AnyContract>
  extends Omit<HistoryPage, 'events'> {
  readonly events: readonly HistoryEvent<TContract>[]
}

// The MIME essence, case-insensitively; parameters such as charset are ignored.
const JSON_TYPE = /^\s*application\/json\s*(;|$)/i

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null

/** The server's JSON error (`{ error: { code, message } }`), for the error's message. */
const describeError = (text: string): string => {
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }
    if (typeof error?.message === 'string') return `: ${String(error.code)}: ${error.message}`
  } catch {}
  return ''
}

/**
 * Reads one page of a topic's retained history as JSON (`GET` with
 * `Accept: application/json`, `?topic=&after=&limit=`), without opening a
 * stream: to render a finished run on a late visit, or to page through what a
 * stream would replay. Each event is validated against the contract, as the
 * stream's are; events whose name the contract does not know are left out (a
 * newer server), and end events come typed as {@link EndInfo}.
 *
 * The request uses the default HTTP cache mode: a full page (`last: false`)
 * never changes, and the server marks it cacheable with an `ETag`.
 *
 * A standalone function: an app that never calls it does not ship it.
 *
 * @throws {ResponseError} for a status other than 200 (`http_status`, the
 * server's JSON error in the message), a body that is not JSON
 * (`content_type`), or JSON that is not a history page (`invalid_body`).
 * @throws {ConnectionError} (`network`) when the request fails.
 * @throws {ValidationError} when an event's payload does not match its schema.
 * @throws the signal's reason once `signal` aborts.
 * @example
 * const page = await readHistory(events, '/runs/events', { topics: ['run:42'], limit: 100 })
 * for (const entry of page.events) {
 *   if (entry.event === 'tidings:end') showEnd(entry.data.reason)
 *   else if (entry.event === 'run:token') append(entry.data.text)
 * }
 */
export async function readHistory<TContract extends AnyContract>(
  contract: TContract,
  url: string | URL,
  options: ReadHistoryOptions = {},
): Promise<TypedHistoryPage<TContract>> {
  const { after, limit, signal, credentials } = options
  const query = new URLSearchParams((options.topics ?? []).map((topic) => [TOPIC_PARAM, topic]))
  if (after !== undefined) query.set(AFTER_PARAM, after)
  if (limit !== undefined) query.set(LIMIT_PARAM, String(limit))
  const base = String(url)
  const search = String(query)
  const target = search ? `${base}${base.includes('?') ? '&' : '?'}${search}` : base
  const fetcher = options.fetch ?? ((input, init) => fetch(input, init))

  let status: number
  let type: string
  let text: string
  try {
    const response = await fetcher(target, {
      method: 'GET',
      headers: { accept: 'application/json', ...options.headers },
      ...(signal && { signal }),
      ...(credentials && { credentials }),
    })
    status = response.status
    type = response.headers.get('content-type') ?? ''
    text = await response.text()
  } catch (cause) {
    if (signal?.aborted) throw signal.reason
    throw new ConnectionError('network', `Reading the history at ${target} failed`, { cause })
  }
  if (status !== 200) {
    throw new ResponseError(
      'http_status',
      status,
      `${target} answered HTTP ${status}${describeError(text)}`,
    )
  }
  if (!JSON_TYPE.test(type)) {
    throw new ResponseError(
      'content_type',
      status,
      `${target} sent "${type}", not application/json`,
    )
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {}
  const invalid = (what: string): ResponseError =>
    new ResponseError('invalid_body', status, `${target} did not answer a history page: ${what}`)
  if (
    !isObject(body) ||
    !Array.isArray(body.events) ||
    typeof body.next !== 'string' ||
    typeof body.last !== 'boolean' ||
    typeof body.ended !== 'boolean' ||
    !(body.gap === null || (isObject(body.gap) && typeof body.gap.reason === 'string'))
  ) {
    throw invalid('expected { events, next, last, ended, gap }')
  }

  const events: HistoryEvent<TContract>[] = []
  for (const entry of body.events as unknown[]) {
    if (!isObject(entry) || typeof entry.id !== 'string' || typeof entry.event !== 'string') {
      throw invalid('an event without a string id and name')
    }
    const { id, event } = entry
    if (event === END_EVENT) {
      const data = entry.data
      if (!isObject(data) || typeof data.topic !== 'string' || typeof data.reason !== 'string') {
        throw new ValidationError(event, [{ message: 'expected { topic, reason } strings' }], id)
      }
      events.push({ id, event, data: { topic: data.topic, reason: data.reason } })
      continue
    }
    if (!hasEvent(contract, event)) continue
    // The server decoded the payload with the contract's codec: `data` is the value itself.
    const result = validatePayload(contract, event, entry.data)
    if (!result.success) throw new ValidationError(event, result.issues, id)
    events.push({ id, event, data: result.value } as HistoryEvent<TContract>)
  }
  return {
    events,
    next: body.next,
    last: body.last,
    ended: body.ended,
    gap: body.gap as GapInfo | null,
  }
}

/**
 * Every page of the history from `after` (default: the oldest retained event)
 * to the newest, one {@link readHistory} per page, each starting at the
 * previous page's `next`. Stops after the page marked `last`, or one whose
 * `next` did not move (a server that would answer it again).
 * Errors are {@link readHistory}'s.
 *
 * @example
 * for await (const page of historyPages(events, '/runs/events', { topics: ['run:42'] })) {
 *   for (const entry of page.events) render(entry)
 * }
 */
export async function* historyPages<TContract extends AnyContract>(
  contract: TContract,
  url: string | URL,
  options: ReadHistoryOptions = {},
): AsyncGenerator<TypedHistoryPage<TContract>, void, undefined> {
  let after = options.after
  for (;;) {
    const page = await readHistory(contract, url, { ...options, after })
    yield page
    // A page that did not move `next` would be asked for again for ever. An empty
    // page that moved it (it skipped other topics' events) is progress.
    if (page.last || page.next === after) return
    after = page.next
  }
}
