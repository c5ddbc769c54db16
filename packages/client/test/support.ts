import { defineEvents } from '@tidings/schema'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { z } from 'zod'

export const URL_ = 'http://tidings.test/events'

export const events = defineEvents({
  'server-time': z.object({ time: z.number() }),
  'chat:message': z.object({ user: z.string(), text: z.string().max(20) }),
  stamped: z.object({ at: z.string().transform((s) => new Date(s)) }),
})

const encoder = new TextEncoder()

/** A streaming response body the test writes to as it goes. */
export interface Sse {
  readonly body: ReadableStream<Uint8Array>
  push(text: string): void
  end(): void
  fail(error?: unknown): void
  /** True once the client cancelled (or aborted) the body. */
  readonly cancelled: boolean
}

export function sse(...initial: string[]): Sse {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let cancelled = false
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c
    },
    cancel() {
      cancelled = true
    },
  })
  const push = (text: string) => controller.enqueue(encoder.encode(text))
  for (const text of initial) push(text)
  return {
    body,
    push,
    end: () => controller.close(),
    fail: (error = new Error('connection reset')) => controller.error(error),
    get cancelled() {
      return cancelled
    },
  }
}

export const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8' }

/** A response for one connection attempt. */
export type Responder = (request: Request) => Response | Promise<Response>

export const stream =
  (body: Sse, headers: Record<string, string> = SSE_HEADERS): Responder =>
  () =>
    new HttpResponse(body.body, { status: 200, headers })

export const status =
  (code: number, headers: Record<string, string> = {}, body: string | null = null): Responder =>
  () =>
    new HttpResponse(body, { status: code, headers })

/** Every request the fake server saw. */
export interface Seen {
  readonly url: URL
  readonly headers: Headers
  /** The signal the client gave `fetch`: aborted when the client drops the request. */
  readonly signal: AbortSignal
}

/**
 * Tags each `fetch` call so the handler finds the caller's own signal. The signal
 * of msw's copy of the request follows the caller's through a weak reference in
 * undici: once collected, it never aborts, and a test waiting for it times out.
 */
const ATTEMPT_HEADER = 'x-fake-attempt'

/**
 * An msw server for URL_. `serve(...responders)` queues one responder per
 * connection attempt; attempts past the queue get an open, empty stream.
 */
export function createFakeServer() {
  const server = setupServer()
  const seen: Seen[] = []
  const signals: AbortSignal[] = []
  let queue: Responder[] = []
  server.use()
  const handler = http.get(URL_, ({ request }) => {
    const headers = new Headers(request.headers)
    headers.delete(ATTEMPT_HEADER)
    const attempt = request.headers.get(ATTEMPT_HEADER)
    const signal = attempt === null ? request.signal : signals[Number(attempt)]!
    seen.push({ url: new URL(request.url), headers, signal })
    const next = queue.shift() ?? stream(sse())
    return next(request)
  })
  return {
    server,
    seen,
    listen() {
      server.listen({ onUnhandledRequest: 'error' })
      server.use(handler)
      // msw's fetch, which `server.close()` puts back as it found it.
      const mocked = globalThis.fetch
      globalThis.fetch = (input, init) => {
        if (input instanceof Request || !init?.signal) return mocked(input, init)
        const headers = new Headers(init.headers)
        headers.set(ATTEMPT_HEADER, String(signals.push(init.signal) - 1))
        return mocked(input, { ...init, headers })
      }
    },
    reset() {
      seen.length = 0
      queue = []
      server.resetHandlers(handler)
    },
    serve(...responders: Responder[]) {
      queue.push(...responders)
    },
  }
}

/** Lets streams, promises and msw's plumbing run (real macrotasks; timers may be fake). */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/**
 * Flushes until `check` holds, then fails after 5 s. Bounded in time, not in rounds:
 * on a loaded machine a real 1-2 ms reconnect timer can outlast hundreds of rounds.
 * `performance.now()`, because tests with fake timers fake `Date`.
 */
export async function until(check: () => boolean, what = 'condition'): Promise<void> {
  const deadline = performance.now() + 5000
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

export { HttpResponse }
