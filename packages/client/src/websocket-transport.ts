import { LAST_EVENT_ID_PARAM } from '@tidings/schema'
import { ConnectionError, ResponseError } from './errors.js'
import type { WebSocketConstructorLike } from './options.js'
import type { Transport } from './transport.js'

// Close codes of the Tidings WebSocket wire (docs/protocol.md): 4000 + an HTTP
// status refuses the request as that status would; 4204 says stop, as HTTP 204.
const REFUSED = 4000
const NO_CONTENT = 4204

/**
 * The WebSocket transport: the same path and query as SSE on `ws:`/`wss:`, each
 * binary message one or more complete SSE blocks, fed to the same parser. The
 * client sends nothing. The stream counts as open at its first message (the
 * hello), since a refused request is accepted and then closed at once with
 * `4000 + status` and the error code as reason (`unavailable;retry=<ms>` for
 * 503). 4204 stops (also sent, with reason `ended`, when every topic ended); any other close (1012 shutdown, 1013 slow consumer, a network
 * loss) ends the stream, and the lifecycle reconnects with backoff.
 */
export const createWebSocketTransport = (WebSocket: WebSocketConstructorLike): Transport => ({
  connect: ({ url, headers, lastEventId, signal }, onOpen, onData) =>
    new Promise((resolve, reject) => {
      let socket: InstanceType<WebSocketConstructorLike>
      try {
        const target = new URL(url, (globalThis as { location?: { href: string } }).location?.href)
        target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:'
        // No headers on a WebSocket: a position the query does not carry yet goes there.
        if (lastEventId !== undefined) target.searchParams.set(LAST_EVENT_ID_PARAM, lastEventId)
        socket = new WebSocket(String(target), [], headers && { headers })
      } catch (cause) {
        return reject(
          new ConnectionError('network', `Cannot open a WebSocket to ${url}`, { cause }),
        )
      }
      let opened = false
      const abort = (): void => {
        socket.close()
        reject(signal.reason)
      }
      signal.addEventListener('abort', abort)
      socket.binaryType = 'arraybuffer'
      // Every error is followed by a close, which decides; a `ws` socket without an
      // error listener would throw instead.
      socket.addEventListener('error', () => {})
      socket.addEventListener('message', ({ data }) => {
        if (signal.aborted) return
        if (!opened) {
          opened = true
          onOpen('websocket')
        }
        try {
          onData(
            typeof data === 'string'
              ? new TextEncoder().encode(data)
              : new Uint8Array(data as ArrayBuffer),
          )
        } catch (cause) {
          socket.close()
          reject(new ConnectionError('network', `Reading ${url} failed`, { cause }))
        }
      })
      socket.addEventListener('close', ({ code, reason }) => {
        signal.removeEventListener('abort', abort)
        if (code === NO_CONTENT) resolve(false)
        else if (code >= REFUSED && code < REFUSED + 1000) {
          const retry = /;retry=(\d+)/.exec(reason)?.[1]
          reject(
            new ResponseError(
              'http_status',
              code - REFUSED,
              `${url} refused the WebSocket: ${code} ${reason}`,
              retry === undefined ? undefined : Number(retry),
            ),
          )
        } else if (opened) resolve(true)
        else reject(new ConnectionError('network', `The WebSocket to ${url} closed (${code})`))
      })
    }),
})
