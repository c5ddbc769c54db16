import type { IncomingMessage } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'
import type { Admission, Core, Reply } from './core.js'
import { HttpError } from './errors.js'
import { NodeConnection, type NodeResponse, type Writable } from './node-connection.js'
import type { EmitterRequest, HeadersLike } from './request.js'

/** A Node request, from `http`, `https` or the `http2` compatibility API. */
export type NodeRequest = IncomingMessage | Http2ServerRequest

function header(req: NodeRequest, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/** `Headers.get` over the Node request's header object: no copy. */
class NodeHeaders implements HeadersLike {
  readonly #req: NodeRequest
  constructor(req: NodeRequest) {
    this.#req = req
  }
  get(name: string): string | null {
    return header(this.#req, name.toLowerCase()) ?? null
  }
}

/** The cheap per-request view `authorize` gets on the Node path (no Fetch `Request`). */
class NodeRequestView implements EmitterRequest {
  readonly raw: NodeRequest
  readonly headers: HeadersLike
  constructor(req: NodeRequest) {
    this.raw = req
    this.headers = new NodeHeaders(req)
  }
  get method(): string {
    return this.raw.method ?? 'GET'
  }
  get url(): string {
    const req = this.raw
    const host = header(req, ':authority') ?? header(req, 'host') ?? 'localhost'
    const tls = (req.socket as { encrypted?: boolean } | null)?.encrypted === true
    return `${tls ? 'https' : 'http'}://${host}${req.url ?? '/'}`
  }
}

const gone = (res: NodeResponse): boolean => {
  const w = res as unknown as Writable
  return w.headersSent || w.writableEnded || w.destroyed || w.socket?.destroyed === true
}

function writeReply(res: NodeResponse, reply: Reply): void {
  if (gone(res)) return
  const w = res as unknown as Writable
  w.writeHead(reply.status, reply.headers)
  if (reply.body === null) w.end()
  else w.end(reply.body)
}

function finish(
  core: Core,
  req: NodeRequest,
  res: NodeResponse,
  origin: string | undefined,
  admitted: Admission | HttpError,
): void {
  if (admitted instanceof HttpError) {
    writeReply(res, core.errorReply(admitted, origin))
    return
  }
  if (gone(res)) return
  const opened = core.open(admitted, (id, principal, group) => {
    ;(res as unknown as Writable).writeHead(
      200,
      core.streamHeaders(origin, req.httpVersionMajor === 1 && req.httpVersionMinor === 1),
    )
    return new NodeConnection(core.hub, id, principal, group, res)
  })
  if (opened instanceof HttpError) writeReply(res, core.errorReply(opened, origin))
}

/**
 * The Node `http`/`https`/`http2`-compat handler. Resolves once the request is
 * answered (the stream is open, or an error was written); never rejects.
 */
export function handleNode(core: Core, req: NodeRequest, res: NodeResponse): Promise<void> {
  const origin = header(req, 'origin')
  const method = req.method
  if (method === 'OPTIONS') {
    writeReply(res, core.preflightReply(origin))
    return Promise.resolve()
  }
  if (method !== 'GET') {
    writeReply(
      res,
      core.errorReply(
        new HttpError(
          'method_not_allowed',
          `Method ${method} is not allowed: open the stream with GET.`,
        ),
        origin,
      ),
    )
    return Promise.resolve()
  }
  const url = req.url ?? '/'
  const mark = url.indexOf('?')
  const query = mark === -1 ? '' : url.slice(mark + 1)
  const admitted = core.admit(new NodeRequestView(req), query, header(req, 'last-event-id'))
  if (admitted instanceof Promise) {
    return admitted.then(
      (result) => finish(core, req, res, origin, result),
      (error: unknown) => {
        core.reportError(error)
        writeReply(res, core.errorReply(new HttpError('internal', 'Internal error.'), origin))
      },
    )
  }
  try {
    finish(core, req, res, origin, admitted)
  } catch (error) {
    core.reportError(error)
    writeReply(res, core.errorReply(new HttpError('internal', 'Internal error.'), origin))
  }
  return Promise.resolve()
}
