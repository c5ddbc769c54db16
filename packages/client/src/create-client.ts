import type { AnyContract } from '@tidings/schema'
import { createAutoTransport } from './auto-transport.js'
import { assembleClient, type Client } from './client.js'
import { createFetchTransport } from './fetch-transport.js'
import type { ClientOptions, WebSocketConstructorLike } from './options.js'
import { createWebSocketTransport } from './websocket-transport.js'

/**
 * Connects to an event stream and hands typed, validated events to handlers,
 * through reconnects, without losing or repeating one: it resumes from the last
 * event id it processed, drops duplicates a replay may repeat, and reports a gap
 * when the server cannot resume (`'tidings:gap'`).
 *
 * Reads the stream over SSE (`fetch`) or a WebSocket carrying the same bytes:
 * `transport: 'auto'` (the default) starts with SSE and falls back to WebSocket
 * when SSE cannot get through (see {@link ClientOptions.transport}). An app that
 * only needs SSE imports `createClient` from `@tidings/client/sse` instead, and
 * leaves the WebSocket code out of its bundle.
 *
 * Reconnects with exponential backoff and full jitter, never sooner than the
 * server's `retry:`. HTTP 204 closes the client; 5xx, 429 and network errors are
 * retried; other statuses and a wrong content type are fatal unless
 * `onHttpError` says retry. The standard gives up on every error status; Tidings
 * retries 5xx and 429 so a deploy does not strand every client.
 * See https://html.spec.whatwg.org/multipage/server-sent-events.html
 *
 * In browsers it reconnects at once when the page comes back `online` or becomes
 * visible with a stream that looks dead (silent for longer than the announced
 * heartbeat plus 5 s): the one case where it does not wait out the backoff or the
 * server's `retry:`. It never closes streams of hidden pages.
 *
 * @throws {TypeError} for `transport: 'websocket'` where there is no `WebSocket`
 * (Node 20): pass the `WebSocket` option.
 * @example
 * const client = createClient(events, '/events', { topics: ['room:lobby'] })
 * client.on('chat:message', ({ user, text }) => show(user, text))
 * client.on('tidings:gap', () => refetchMessages())
 * client.close()
 */
export function createClient<TContract extends AnyContract>(
  contract: TContract,
  url: string | URL,
  options: ClientOptions = {},
): Client<TContract> {
  const { transport: mode = 'auto' } = options
  const sse = createFetchTransport(
    options.fetch ?? ((input, init) => fetch(input, init)),
    options.credentials,
  )
  const WebSocket =
    options.WebSocket ??
    (globalThis as { WebSocket?: WebSocketConstructorLike | undefined }).WebSocket
  if (mode === 'websocket' && !WebSocket) {
    throw new TypeError(
      'transport "websocket" needs a WebSocket, and this runtime has none (Node 20): pass the WebSocket option, e.g. `import { WebSocket } from "ws"`.',
    )
  }
  const ws = WebSocket && createWebSocketTransport(WebSocket)
  return assembleClient(contract, url, options, (debug) =>
    mode === 'sse' || !ws ? sse : mode === 'websocket' ? ws : createAutoTransport(sse, ws, debug),
  )
}
