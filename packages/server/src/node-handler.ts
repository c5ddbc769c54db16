import type { IncomingMessage } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'
import { type Admission, ALREADY_ENDED, type Core, type Reply } from './core.js'
import type { Access } from './cors.js'
import { HttpError } from './errors.js'
import { NodeConnection, type NodeResponse, type Writable } from './node-connection.js'
import { type EmitterRequest, type HeadersLike, queryOf, wantsHistory } from './request.js'

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
export class NodeRequestView implements EmitterRequest {
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

/** Something failed that should not have: report it, answer 500 with nothing internal. */
function fail(core: Core, res: NodeResponse, error: unknown, access: Access | undefined): void {
  core.reportError(error)
  try {
    writeReply(res, core.errorReply(new HttpError('internal', 'Internal error.'), access))
  } catch {
    ;(res as unknown as Writable).destroy()
  }
}

function finish(
  core: Core,
  req: NodeRequest,
  res: NodeResponse,
  access: Access,
  admitted: Admission | HttpError,
): void {
  if (admitted instanceof HttpError) {
    writeReply(res, core.errorReply(admitted, access))
    return
  }
  if (gone(res)) return
  const opened = core.open(admitted, (id, principal, group) => {
    ;(res as unknown as Writable).writeHead(
      200,
      core.streamHeaders(access, req.httpVersionMajor === 1 && req.httpVersionMinor === 1),
    )
    return new NodeConnection(core.hub, id, principal, group, res)
  })
  if (opened instanceof HttpError) writeReply(res, core.errorReply(opened, access))
  else if (opened === ALREADY_ENDED) writeReply(res, core.endedReply(access))
}

function handle(core: Core, req: NodeRequest, res: NodeResponse): Promise<void> | undefined {
  const access = core.access(header(req, 'origin'))
  if (access instanceof HttpError) {
    writeReply(res, core.errorReply(access, undefined))
    return
  }
  const method = req.method
  if (method === 'OPTIONS') {
    writeReply(res, core.preflightReply(access))
    return
  }
  if (method !== 'GET') {
    const error = new HttpError(
      'method_not_allowed',
      `Method ${method} is not allowed: open the stream with GET.`,
    )
    writeReply(res, core.errorReply(error, access))
    return
  }
  const query = queryOf(req.url ?? '/')
  if (wantsHistory(header(req, 'accept'))) {
    return core
      .historyReply(new NodeRequestView(req), query, header(req, 'if-none-match'), access)
      .then(
        (reply) => writeReply(res, reply),
        (error: unknown) => fail(core, res, error, access),
      )
  }
  const admitted = core.admit(new NodeRequestView(req), query, header(req, 'last-event-id'))
  if (admitted instanceof Promise) {
    return admitted.then(
      (result) => {
        try {
          finish(core, req, res, access, result)
        } catch (error) {
          fail(core, res, error, access)
        }
      },
      (error: unknown) => fail(core, res, error, access),
    )
  }
  try {
    finish(core, req, res, access, admitted)
  } catch (error) {
    fail(core, res, error, access)
  }
}

/**
 * The Node `http`/`https`/`http2`-compat handler. Resolves once the request is
 * answered (the stream is open, or an error was written); never rejects and
 * never throws, whatever the application's callbacks do.
 */
export function handleNode(core: Core, req: NodeRequest, res: NodeResponse): Promise<void> {
  try {
    return handle(core, req, res) ?? Promise.resolve()
  } catch (error) {
    fail(core, res, error, undefined)
    return Promise.resolve()
  }
}
