import { ALREADY_ENDED, type Core, type Reply } from './core.js'
import type { Access } from './cors.js'
import { HttpError } from './errors.js'
import { FetchConnection } from './fetch-connection.js'
import { type EmitterRequest, queryOf, wantsHistory } from './request.js'

const toResponse = (reply: Reply): Response =>
  new Response(reply.body, { status: reply.status, headers: reply.headers })

async function handle(core: Core, request: Request, access: Access): Promise<Response> {
  const { method } = request
  if (method === 'OPTIONS') return toResponse(core.preflightReply(access))
  if (method !== 'GET') {
    const error = new HttpError(
      'method_not_allowed',
      `Method ${method} is not allowed: open the stream with GET.`,
    )
    return toResponse(core.errorReply(error, access))
  }
  const view: EmitterRequest = { method, url: request.url, headers: request.headers, raw: request }
  if (wantsHistory(request.headers.get('accept'))) {
    const query = queryOf(request.url)
    return toResponse(
      await core.historyReply(view, query, request.headers.get('if-none-match'), access),
    )
  }
  const admitted = await core.admit(
    view,
    queryOf(request.url),
    request.headers.get('last-event-id'),
  )
  if (admitted instanceof HttpError) return toResponse(core.errorReply(admitted, access))
  const { signal } = request
  if (signal?.aborted) {
    return toResponse(
      core.errorReply(new HttpError('unavailable', 'The client went away.'), access),
    )
  }
  let connection: FetchConnection | undefined
  const opened = core.open(admitted, (id, principal, group) => {
    connection = new FetchConnection(core.hub, id, principal, group)
    return connection
  })
  if (opened instanceof HttpError) return toResponse(core.errorReply(opened, access))
  if (opened === ALREADY_ENDED) return toResponse(core.endedReply(access))
  if (connection === undefined) throw new Error('The stream was not created.')
  signal?.addEventListener('abort', connection, { once: true })
  return new Response(connection.stream, {
    status: 200,
    headers: core.streamHeaders(access, false),
  })
}

/**
 * The Fetch API handler (Hono, Next.js route handlers, Bun, Deno, workers).
 * Never rejects, whatever the application's callbacks do: a failure is reported
 * to `onError` and answered with a 500 that carries nothing internal.
 */
export async function handleFetch(core: Core, request: Request): Promise<Response> {
  let access: Access | undefined
  try {
    const checked = core.access(request.headers.get('origin'))
    if (checked instanceof HttpError) return toResponse(core.errorReply(checked, undefined))
    access = checked
    return await handle(core, request, access)
  } catch (error) {
    core.reportError(error)
    return toResponse(core.errorReply(new HttpError('internal', 'Internal error.'), access))
  }
}
