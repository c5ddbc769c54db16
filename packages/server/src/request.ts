import type { IncomingMessage } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'
import { LAST_EVENT_ID_PARAM, REPLAY_PARAM, TOPIC_PARAM } from '@tidings/schema'
import { HttpError } from './errors.js'
import { isValidTopic } from './topics.js'

/** The read-only header access `authorize` gets: the Fetch `Headers.get` shape. */
export interface HeadersLike {
  /** The header's value (several joined with `, `), or `null` when absent. Case-insensitive. */
  get(name: string): string | null
}

/**
 * The request as `authorize` and `canSubscribe` see it, the same shape on both
 * handlers: a Fetch `Request` satisfies it, and on the Node path it is a cheap
 * view over the `IncomingMessage` (no `Request` is built).
 */
export interface EmitterRequest {
  /** The HTTP method, upper case. */
  readonly method: string
  /** The absolute URL. */
  readonly url: string
  readonly headers: HeadersLike
  /**
   * The runtime's own request: the `IncomingMessage` (or http2 request) on
   * `emitter.handle`, the `Request` on `emitter.fetch`. Reach for it to read
   * what a framework attached, such as Express's `req.user`.
   */
  readonly raw: IncomingMessage | Http2ServerRequest | Request
}

/** What a client asked for, parsed and checked. */
export interface Subscription {
  /** Valid, deduplicated topics in request order. */
  readonly topics: string[]
  /** The id to resume after (header first, then the query), or `undefined` for a fresh stream. */
  readonly lastEventId: string | undefined
  /** For a fresh stream, how many recent events to replay (already bounded by `maxReplay`). */
  readonly replay: number
}

/**
 * The query string of a request target (an absolute URL or a path), without a
 * `#fragment`: both handlers read a request through this, so they read it the
 * same way whatever a raw client sends.
 */
export function queryOf(target: string): string {
  const hash = target.indexOf('#')
  const end = hash === -1 ? target.length : hash
  const mark = target.indexOf('?')
  return mark === -1 || mark > end ? '' : target.slice(mark + 1, end)
}

/**
 * Reads topics, the last event id and `replay` from a query string and the
 * `Last-Event-ID` header. Malformed topics and too many topics are a 400; a bad
 * last event id is not an error here (it becomes a gap event in the stream).
 */
export function parseSubscription(
  query: string,
  lastEventIdHeader: string | null | undefined,
  limits: { readonly maxTopics: number; readonly maxReplay: number },
): Subscription | HttpError {
  const params = new URLSearchParams(query)
  const topics: string[] = []
  const seen = new Set<string>()
  for (const topic of params.getAll(TOPIC_PARAM)) {
    if (!isValidTopic(topic)) {
      const shown = topic.length > 64 ? `${topic.slice(0, 64)}…` : topic
      return new HttpError(
        'invalid_topic',
        `Topic ${JSON.stringify(shown)} is invalid: a topic is 1 to 128 characters of A-Z, a-z, 0-9, "_", ".", ":" and "-".`,
      )
    }
    if (seen.has(topic)) continue
    seen.add(topic)
    topics.push(topic)
    if (topics.length > limits.maxTopics) {
      return new HttpError(
        'too_many_topics',
        `Too many topics: a connection may subscribe to at most ${limits.maxTopics}.`,
      )
    }
  }
  let lastEventId: string | undefined
  if (lastEventIdHeader) lastEventId = lastEventIdHeader
  else lastEventId = params.get(LAST_EVENT_ID_PARAM) || undefined
  let replay = 0
  if (lastEventId === undefined) {
    const asked = params.get(REPLAY_PARAM)
    if (asked !== null && /^[0-9]{1,9}$/.test(asked))
      replay = Math.min(Number(asked), limits.maxReplay)
  }
  return { topics, lastEventId, replay }
}

/**
 * True when a GET asks for the history as JSON (`Accept: application/json`)
 * rather than the stream. An `EventSource` sends `text/event-stream`; a client
 * that accepts both gets the stream.
 */
export function wantsHistory(accept: string | null | undefined): boolean {
  if (!accept) return false
  const lower = accept.toLowerCase()
  return lower.includes('application/json') && !lower.includes('text/event-stream')
}
