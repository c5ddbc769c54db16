import { ConnectionError, HttpError } from './errors.js'
import type { FetchLike } from './options.js'

/** One connection attempt, as the client core asks a transport for it. */
export interface TransportRequest {
  /** The endpoint with the query (`topic`, `replay`) already appended. */
  readonly url: string
  /** The caller's headers for this attempt (the `headers` option, evaluated). */
  readonly headers: Record<string, string> | undefined
  /** The last event id processed, to resume from; the transport decides how to send it. */
  readonly lastEventId: string | undefined
  /** Aborted when the client closes or gives up on this connection. */
  readonly signal: AbortSignal
}

/**
 * Carries one stream of SSE text. Transports only move bytes: the client core
 * owns the parser, resume, dedupe, reconnect and status, so a WebSocket
 * transport (one encoded event per message) gets the same semantics for free.
 */
export interface Transport {
  /**
   * Opens a connection, calls `onOpen` once the server accepted it, then
   * `onData` for every chunk until the stream ends. Resolves `true` when the
   * server ended the stream (reconnect), `false` when it asked the client to stop
   * (HTTP 204); rejects with an {@link HttpError} or a {@link ConnectionError}, or
   * with whatever `onData` throws.
   */
  connect(
    request: TransportRequest,
    onOpen: () => void,
    onData: (chunk: Uint8Array | string) => void,
  ): Promise<boolean>
}

const noop = (): void => {}

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
    let response: Awaited<ReturnType<FetchLike>>
    try {
      response = await fetch(url, {
        method: 'GET',
        headers: {
          accept: 'text/event-stream',
          ...headers,
          ...(lastEventId !== undefined && { 'last-event-id': lastEventId }),
        },
        signal,
        cache: 'no-store',
        ...(credentials && { credentials }),
      })
    } catch (cause) {
      throw new ConnectionError('network', `Cannot reach ${url}`, { cause })
    }
    const { status, body } = response
    if (status === 204) return false
    const type = response.headers.get('content-type') ?? ''
    if (status !== 200 || !EVENT_STREAM.test(type)) {
      // Release the connection: nobody reads an error body.
      body?.getReader().cancel().catch(noop)
      throw status === 200
        ? new HttpError(
            'content_type',
            status,
            `${url} sent Content-Type "${type}", not text/event-stream`,
          )
        : new HttpError(
            'http_status',
            status,
            `${url} answered HTTP ${status}`,
            retryAfter(response.headers.get('retry-after')),
          )
    }
    if (!body) throw new ConnectionError('network', `${url} sent no body`)
    const reader = body.getReader()
    // Not every fetch errors the body when the signal aborts: cancel it ourselves,
    // so an aborted connection never leaves a read pending.
    const cancel = (): void => {
      reader.cancel().catch(noop)
    }
    signal.addEventListener('abort', cancel)
    onOpen()
    try {
      for (;;) {
        let result: Awaited<ReturnType<typeof reader.read>>
        try {
          result = await reader.read()
        } catch (cause) {
          throw new ConnectionError('network', `The stream from ${url} broke`, { cause })
        }
        if (result.done || signal.aborted) return true
        onData(result.value)
      }
    } finally {
      signal.removeEventListener('abort', cancel)
      cancel()
    }
  },
})
