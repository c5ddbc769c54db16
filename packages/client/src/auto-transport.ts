import { ConnectionError } from './errors.js'
import type { DebugInfo } from './options.js'
import { clampDelay } from './reconnect.js'
import type { Transport } from './transport.js'

/**
 * How long SSE has, from the start of its request, to deliver its first bytes
 * before `'auto'` falls back to WebSocket. A Tidings server writes its hello
 * comment at once; a proxy that buffers `text/event-stream` holds it back.
 */
export const SSE_FIRST_BYTES_MS = 3000

/**
 * The `'auto'` transport: SSE first; WebSocket when SSE cannot connect (a network
 * failure, not a refusal such as a 401: that is the server's answer) or delivers
 * no byte within `firstBytesMs`. The first transport to deliver bytes is kept for
 * the client's life, and so is SSE when WebSocket cannot connect after a silent
 * SSE (a quiet server without a WebSocket endpoint). Until one is kept, each
 * attempt tries SSE, then WebSocket, as one attempt.
 */
export const createAutoTransport = (
  sse: Transport,
  ws: Transport,
  debug: (info: DebugInfo) => void,
  firstBytesMs = SSE_FIRST_BYTES_MS,
): Transport => {
  let kept: Transport | undefined
  return {
    async connect(request, onOpen, onData) {
      if (kept) return kept.connect(request, onOpen, onData)
      const { signal } = request
      const probe = new AbortController()
      const stop = (): void => probe.abort(signal.reason)
      signal.addEventListener('abort', stop)
      let silent = false
      const timer = setTimeout(() => {
        silent = true
        probe.abort()
      }, clampDelay(firstBytesMs))
      let ended: boolean | undefined
      try {
        // Open only once bytes arrive: a silent stream must not look open.
        ended = await sse.connect({ ...request, signal: probe.signal }, noop, (chunk) => {
          if (!kept) {
            kept = sse
            clearTimeout(timer)
            onOpen('sse')
          }
          onData(chunk)
        })
      } catch (error) {
        if (kept || signal.aborted || !(silent || error instanceof ConnectionError)) throw error
      } finally {
        clearTimeout(timer)
        signal.removeEventListener('abort', stop)
      }
      // A stream cut short by the probe's deadline ends like any other: not a result.
      if (ended !== undefined && (kept || signal.aborted || !silent)) return ended
      debug({
        type: 'transport',
        transport: 'websocket',
        reason: silent ? 'sse-silent' : 'sse-failed',
      })
      try {
        return await ws.connect(
          request,
          (name) => {
            kept = ws
            onOpen(name)
          },
          onData,
        )
      } catch (error) {
        if (silent && !kept && !signal.aborted && error instanceof ConnectionError) {
          kept = sse
          debug({ type: 'transport', transport: 'sse', reason: 'websocket-failed' })
        }
        throw error
      }
    },
  }
}

const noop = (): void => {}
