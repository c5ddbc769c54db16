/**
 * STAND-IN for `emitter.upgrade(req, socket, head)`, which @tidings/server does
 * not have yet (the lead writes it). It speaks the WebSocket wire of the brief
 * and docs/protocol.md by bridging each WebSocket to an SSE request on the same
 * server: same path and query (`topic`, `lastEventId`, `replay`), the upgrade
 * request's `cookie` and `authorization` forwarded; every chunk of the stream
 * becomes one binary message (so messages hold the exact SSE bytes: hello,
 * `retry:`, bookmark, replay, events, gaps, heartbeats); a refusal closes with
 * `4000 + status` and the error code as reason (`unavailable;retry=<ms>` for
 * 503); 204 closes with 4204; the stream's end closes with 1012. No ping frames.
 *
 * When `emitter.upgrade` lands, `test/client/support.ts` (`serveEmitter`) and
 * `test/client/auto-fallback.test.ts` switch to it (search for `STAND-IN`), and
 * this file goes.
 */
import http, { type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void

/** An upgrade handler bridging to the SSE endpoint at `base()` (e.g. `http://127.0.0.1:1234`). */
export function createWsStandIn(base: () => string): UpgradeHandler {
  const wss = new WebSocketServer({ noServer: true })
  return (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const headers: Record<string, string> = { accept: 'text/event-stream' }
      for (const name of ['cookie', 'authorization']) {
        const value = req.headers[name]
        if (typeof value === 'string') headers[name] = value
      }
      const upstream = http.get(`${base()}${req.url ?? '/'}`, { headers }, (res) => {
        const status = res.statusCode ?? 500
        if (status === 204) {
          res.resume()
          ws.close(4204)
          return
        }
        if (status !== 200) {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (text: string) => {
            body += text
          })
          res.on('end', () => {
            let code = 'error'
            try {
              code = JSON.parse(body).error.code
            } catch {}
            const retryAfter = Number(res.headers['retry-after'])
            const reason =
              status === 503 && retryAfter >= 0 ? `${code};retry=${retryAfter * 1000}` : code
            ws.close(4000 + status, reason)
          })
          return
        }
        res.on('data', (chunk: Buffer) => ws.send(chunk, { binary: true }))
        res.on('end', () => ws.close(1012))
        res.on('error', () => ws.terminate())
      })
      upstream.on('error', () => ws.terminate())
      ws.on('close', () => upstream.destroy())
      ws.on('error', () => upstream.destroy())
    })
  }
}
