import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { ALREADY_ENDED, type Core } from './core.js'
import { DependencyError, HttpError, httpStatus } from './errors.js'
import { jitter } from './frames.js'
import { NodeRequestView } from './node-handler.js'
import { queryOf } from './request.js'
import { CLOSE_ENDED, WsConnection, type WsSocket } from './ws-connection.js'

/** What the handler uses of `ws`'s `WebSocketServer`. */
interface WsServer {
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    done: (ws: WsSocket) => void,
  ): void
}

type WsServerClass = new (options: Record<string, unknown>) => WsServer

/**
 * The most bytes a client may send in one message. Clients have nothing to say
 * on a Tidings stream; `ws` closes a socket (1009) that sends more.
 */
const MAX_CLIENT_MESSAGE = 1024

let loading: Promise<WsServerClass> | undefined

/** `ws` is an optional peer dependency: loaded on the first upgrade, with a clear error when absent. */
function loadWs(): Promise<WsServerClass> {
  loading ??= import('ws').then(
    (module) => {
      const found =
        (module as { WebSocketServer?: WsServerClass }).WebSocketServer ??
        (module as { default?: { WebSocketServer?: WsServerClass } }).default?.WebSocketServer
      if (!found) throw new Error('the "ws" module has no WebSocketServer')
      return found
    },
    (cause: unknown) => {
      loading = undefined
      throw new DependencyError(
        'missing_dependency',
        'emitter.upgrade needs the "ws" package, an optional peer dependency of @tidings/server: npm install ws',
        { cause },
      )
    },
  )
  return loading
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/** Refuses an upgrade before the handshake, with a plain HTTP answer. */
function refuse(socket: Duplex, status: number, text: string): void {
  if (socket.destroyed) return
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  )
}

/**
 * The close a refused WebSocket gets once open: `4000 + status` and the error
 * code as reason (a browser cannot read the status of a refused handshake),
 * with the retry delay for a 503.
 */
function closeFor(core: Core, error: HttpError): [code: number, reason: string] {
  const reason =
    error.code === 'unavailable' ? `unavailable;retry=${jitter(core.options.retryMs)}` : error.code
  return [4000 + httpStatus(error.code), reason]
}

/** Whether a browser page on `origin` may open a WebSocket: same host, or allowed by `cors`. */
function originAllowed(core: Core, req: IncomingMessage, origin: string): boolean | HttpError {
  try {
    if (new URL(origin).host === header(req, 'host')) return true
  } catch {
    // `null` and other opaque origins are never the server's own.
  }
  const access = core.access(origin)
  return access instanceof HttpError ? access : access.allowed
}

/**
 * The WebSocket handler for a Node server's `upgrade` event: the same
 * admission, topics, authorisation, history, resume and caps as the SSE
 * handlers, on `ws`. Resolves once the upgrade is answered; never rejects
 * except when `ws` is not installed.
 */
export async function handleUpgrade(
  core: Core,
  state: { server?: WsServer },
  req: IncomingMessage,
  socket: Duplex,
  head: Uint8Array,
): Promise<void> {
  let WebSocketServer: WsServerClass
  try {
    WebSocketServer = await loadWs()
  } catch (error) {
    refuse(socket, 501, 'Not Implemented')
    core.reportError(error)
    throw error
  }
  try {
    // Cross-site WebSocket hijacking: a browser sends the page's origin, and a
    // page of another site must not ride on the user's cookies.
    const origin = header(req, 'origin')
    if (origin !== undefined) {
      const allowed = originAllowed(core, req, origin)
      if (allowed !== true) {
        const error =
          allowed instanceof HttpError
            ? allowed
            : new HttpError('forbidden', `WebSocket upgrades from ${origin} are not allowed.`)
        core.countRejection(error)
        refuse(socket, httpStatus(error.code), error.code === 'forbidden' ? 'Forbidden' : 'Error')
        return
      }
    }
    const admitted = await core.admit(
      new NodeRequestView(req),
      queryOf(req.url ?? '/'),
      header(req, 'last-event-id'),
    )
    if (socket.destroyed) return
    state.server ??= new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: MAX_CLIENT_MESSAGE,
    })
    state.server.handleUpgrade(req, socket, Buffer.from(head), (ws) => {
      if (admitted instanceof HttpError) {
        core.countRejection(admitted)
        ws.close(...closeFor(core, admitted))
        return
      }
      const opened = core.open(
        admitted,
        (id, principal, group) => new WsConnection(core.hub, id, principal, group, ws),
      )
      if (opened instanceof HttpError) {
        core.countRejection(opened)
        ws.close(...closeFor(core, opened))
      } else if (opened === ALREADY_ENDED) ws.close(CLOSE_ENDED, 'ended')
    })
  } catch (error) {
    core.reportError(error)
    refuse(socket, 500, 'Internal Server Error')
  }
}
