import type { Core, Reply } from './core.js'
import { HttpError } from './errors.js'
import { FetchConnection } from './fetch-connection.js'
import type { EmitterRequest } from './request.js'

const toResponse = (reply: Reply): Response =>
  new Response(reply.body, { status: reply.status, headers: reply.headers })

/** The Fetch API handler (Hono, Next.js route handlers, Bun, Deno, workers). */
export async function handleFetch(core: Core, request: Request): Promise<Response> {
  const origin = request.headers.get('origin')
  const { method } = request
  if (method === 'OPTIONS') return toResponse(core.preflightReply(origin))
  if (method !== 'GET') {
    return toResponse(
      core.errorReply(
        new HttpError(
          'method_not_allowed',
          `Method ${method} is not allowed: open the stream with GET.`,
        ),
        origin,
      ),
    )
  }
  const mark = request.url.indexOf('?')
  let query = mark === -1 ? '' : request.url.slice(mark + 1)
  const hash = query.indexOf('#')
  if (hash !== -1) query = query.slice(0, hash)
  const view: EmitterRequest = { method, url: request.url, headers: request.headers, raw: request }
  const admitted = await core.admit(view, query, request.headers.get('last-event-id'))
  if (admitted instanceof HttpError) return toResponse(core.errorReply(admitted, origin))
  const { signal } = request
  if (signal?.aborted) {
    return toResponse(
      core.errorReply(new HttpError('unavailable', 'The client went away.'), origin),
    )
  }
  let connection: FetchConnection | undefined
  const opened = core.open(admitted, (id, principal, group) => {
    connection = new FetchConnection(core.hub, id, principal, group)
    return connection
  })
  if (opened instanceof HttpError || connection === undefined) {
    return toResponse(
      core.errorReply(
        opened instanceof HttpError ? opened : new HttpError('internal', 'Internal error.'),
        origin,
      ),
    )
  }
  signal?.addEventListener('abort', connection, { once: true })
  return new Response(connection.stream, {
    status: 200,
    headers: core.streamHeaders(origin, false),
  })
}
