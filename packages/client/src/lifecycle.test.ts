import { afterEach, describe, expect, it, vi } from 'vitest'
import { type ClientError, ConnectionError, ResponseError } from './errors.js'
import { createLifecycle } from './lifecycle.js'
import type { SseClientOptions } from './options.js'
import type { ClientStatus } from './status.js'
import type { Transport, TransportName, TransportRequest } from './transport.js'

/** One connection the test controls: open it, send data, end or fail it. */
interface Conn {
  readonly request: TransportRequest
  open(name?: TransportName): void
  data(text: string): void
  end(result?: boolean): void
  fail(error: unknown): void
}

function setup(options: SseClientOptions = {}) {
  const conns: Conn[] = []
  const transport: Transport = {
    connect: (request, onOpen, onData) =>
      new Promise((resolve, reject) => {
        request.signal.addEventListener('abort', () => reject(request.signal.reason))
        conns.push({
          request,
          open: (name = 'sse') => onOpen(name),
          data: (text) => onData(text),
          end: (result = true) => resolve(result),
          fail: reject,
        })
      }),
  }
  const statuses: ClientStatus[] = []
  const errors: ClientError[] = []
  const chunks: string[] = []
  const healthy: boolean[] = []
  const lifecycle = createLifecycle(transport, options, {
    request: (headers) => ({ url: 'http://x/events', headers, lastEventId: undefined }),
    data: (chunk) => chunks.push(String(chunk)),
    settled: (ok) => healthy.push(ok),
    status: (status) => statuses.push(status),
    report: (error) => errors.push(error),
    rethrow: (error) => {
      throw error
    },
  })
  const conn = (index: number) => conns[index] as Conn
  return { lifecycle, conns, conn, statuses, errors, chunks, healthy }
}

const settle = () => vi.advanceTimersByTimeAsync(0)

afterEach(() => {
  vi.useRealTimers()
})

describe('createLifecycle', () => {
  it('goes connecting, open (with the transport), reconnecting with backoff, open again', async () => {
    vi.useFakeTimers()
    const { lifecycle, conns, conn, statuses, chunks, healthy } = setup({
      reconnect: { initialDelayMs: 100, jitter: 0 },
    })
    expect(lifecycle.status).toEqual({ state: 'connecting' })
    await settle()
    conn(0).open('websocket')
    conn(0).data('data:1\n\n')
    conn(0).end()
    await settle()
    expect(statuses).toEqual([
      { state: 'connecting' },
      { state: 'open', transport: 'websocket' },
      { state: 'reconnecting', attempt: 1, delayMs: 100 },
    ])
    expect([chunks, healthy]).toEqual([['data:1\n\n'], [true]])
    await vi.advanceTimersByTimeAsync(100)
    expect(conns).toHaveLength(2)
    conn(1).open()
    expect(lifecycle.status).toEqual({ state: 'open', transport: 'sse' })
  })

  it('backs off further while attempts fail, never below the server retry', async () => {
    vi.useFakeTimers()
    const { lifecycle, conn, statuses } = setup({ reconnect: { initialDelayMs: 100, jitter: 0 } })
    await settle()
    lifecycle.retry(150)
    conn(0).fail(new ConnectionError('network', 'down'))
    await settle()
    await vi.advanceTimersByTimeAsync(150)
    conn(1).fail(new ConnectionError('network', 'down'))
    await settle()
    expect(statuses.slice(1)).toEqual([
      { state: 'reconnecting', attempt: 1, delayMs: 150 },
      { state: 'reconnecting', attempt: 2, delayMs: 200 },
    ])
  })

  it('times out an attempt that is never accepted, and a stream silent past the heartbeat', async () => {
    vi.useFakeTimers()
    const { lifecycle, conn, errors } = setup({
      connectTimeoutMs: 1000,
      reconnect: { initialDelayMs: 1, jitter: 0 },
    })
    await settle()
    await vi.advanceTimersByTimeAsync(1000)
    expect(errors.map((e) => e instanceof ConnectionError && e.code)).toEqual(['connect_timeout'])
    await vi.advanceTimersByTimeAsync(1)
    conn(1).open()
    lifecycle.heartbeat(1000)
    // Accepted: the connect timeout no longer applies; the idle timeout (2 x 1 s + 5 s) does.
    await vi.advanceTimersByTimeAsync(6999)
    expect(errors).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(errors.map((e) => e instanceof ConnectionError && e.code)).toEqual([
      'connect_timeout',
      'idle_timeout',
    ])
    expect(conn(1).request.signal.aborted).toBe(true)
  })

  it('closes with a reason: no-content, fatal-status, close; and clears every timer', async () => {
    vi.useFakeTimers()
    const stop = setup()
    await settle()
    stop.conn(0).end(false)
    await settle()
    expect(stop.lifecycle.status).toEqual({ state: 'closed', reason: 'no-content' })

    const refused = setup()
    await settle()
    const error = new ResponseError('http_status', 403, 'forbidden')
    refused.conn(0).fail(error)
    await settle()
    expect(refused.lifecycle.status).toEqual({ state: 'closed', reason: 'fatal-status', error })
    expect(error.willRetry).toBe(false)

    const closing = setup()
    await settle()
    closing.conn(0).open()
    closing.lifecycle.heartbeat(1000)
    closing.lifecycle.close()
    expect(closing.lifecycle.status).toEqual({ state: 'closed', reason: 'close' })
    expect(closing.conn(0).request.signal.aborted).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('lets onHttpError retry a refusal, with Retry-After as the floor', async () => {
    vi.useFakeTimers()
    const onHttpError = vi.fn(() => 'retry' as const)
    const { conn, statuses, errors } = setup({ onHttpError, reconnect: { jitter: 0 } })
    await settle()
    conn(0).fail(new ResponseError('http_status', 401, 'unauthorized', 5000))
    await settle()
    expect(onHttpError).toHaveBeenCalledWith(errors[0], { attempt: 1 })
    expect(statuses.at(-1)).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 5000 })
  })

  it('closes on the signal, and never connects with one already aborted', async () => {
    vi.useFakeTimers()
    const controller = new AbortController()
    const live = setup({ signal: controller.signal })
    await settle()
    controller.abort()
    expect(live.lifecycle.status).toEqual({ state: 'closed', reason: 'signal' })
    const dead = setup({ signal: AbortSignal.abort() })
    await settle()
    expect(dead.conns).toEqual([])
    expect(dead.lifecycle.status).toEqual({ state: 'closed', reason: 'signal' })
  })
})
