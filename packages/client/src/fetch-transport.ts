import { ConnectionError, ResponseError } from './errors.js'
import type { FetchLike, ReaderLike } from './options.js'
import type { Transport } from './transport.js'

const noop = (): void => {}

// Header values are byte strings (one character per byte): the standard sends the
// last event id as UTF-8, and `fetch` throws on a character past U+00FF.
// See https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model
const utf8Bytes = (text: string): string => {
  let bytes = ''
  for (const byte of new TextEncoder().encode(text)) bytes += String.fromCharCode(byte)
  return bytes
}

// The MIME essence, case-insensitively; parameters such as charset are ignored.
const EVENT_STREAM = /^\s*text\/event-stream\s*(;|$)/i

// `Retry-After` is delay-seconds or an HTTP date; an unreadable value is ignored.
const retryAfter = (value: string | null): number | undefined => {
  if (!value) return undefined
  const seconds = Number(value)
  const ms = seconds >= 0 ? seconds * 1000 : Date.parse(value) - Date.now()
  return Number.isNaN(ms) ? undefined : Math.max(0, ms)
}

/**
 * The SSE-over-`fetch` transport: a GET with `Accept: text/event-stream` and
 * `Last-Event-ID`, read as a byte stream. Unlike `EventSource` it can send any
 * header. Follows the standard's checks: 204 stops, and anything but a 200 with
 * `Content-Type: text/event-stream` fails.
 * See https://html.spec.whatwg.org/multipage/server-sent-events.html#processField
 */
export const createFetchTransport = (
  fetch: FetchLike,
  credentials?: 'omit' | 'same-origin' | 'include',
): Transport => ({
  async connect({ url, headers, lastEventId, signal }, onOpen, onData) {
    let reader: ReaderLike | undefined
    // Not every fetch errors the body when the signal aborts: cancel it ourselves,
    // so an aborted connection never leaves a read pending. Also releases the
    // connection of an error response, whose body nobody reads.
    const cancel = (): void => {
      reader?.cancel().catch(noop)
    }
    signal.addEventListener('abort', cancel)
    try {
      const response = await fetch(url, {
        method: 'GET',
        headers: {
          accept: 'text/event-stream',
          ...headers,
          ...(lastEventId !== undefined && { 'last-event-id': utf8Bytes(lastEventId) }),
        },
        signal,
        cache: 'no-store',
        ...(credentials && { credentials }),
      })
      const { status } = response
      if (status === 204) return false
      reader = response.body?.getReader()
      const type = response.headers.get('content-type') ?? ''
      if (status !== 200) {
        throw new ResponseError(
          'http_status',
          status,
          `${url} answered HTTP ${status}`,
          retryAfter(response.headers.get('retry-after')),
        )
      }
      if (!EVENT_STREAM.test(type)) {
        throw new ResponseError(
          'content_type',
          status,
          `${url} sent "${type}", not text/event-stream`,
        )
      }
      if (!reader) throw new TypeError('The response has no body')
      onOpen('sse')
      for (;;) {
        const result = await reader.read()
        if (result.done || signal.aborted) return true
        onData(result.value)
      }
    } catch (cause) {
      // A failed request or stream becomes a ConnectionError; an ResponseError, or
      // anything once the client aborted, goes through as it is.
      throw cause instanceof ResponseError || signal.aborted
        ? cause
        : new ConnectionError('network', `The connection to ${url} failed`, { cause })
    } finally {
      signal.removeEventListener('abort', cancel)
      cancel()
    }
  },
})
