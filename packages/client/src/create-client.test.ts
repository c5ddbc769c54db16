import { defineEvents, ParseError, ValidationError } from '@tidings/schema'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import {
  createFakeServer,
  events,
  flush,
  HttpResponse,
  type Sse,
  sse,
  status,
  stream,
  URL_,
  until,
} from '../test/support.js'
import {
  type Client,
  type ClientError,
  type ClientOptions,
  type ClientStatus,
  ConnectionError,
  createClient,
  type DebugInfo,
  type FetchLike,
  type GapInfo,
  ResponseError,
} from './index.js'

const fake = createFakeServer()
beforeAll(() => fake.listen())
afterEach(() => {
  fake.reset()
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})
afterAll(() => fake.server.close())

const HELLO = ': tidings heartbeat=15000\nretry:1\n'
const ev = (id: string, name: string, data: unknown) =>
  `id:${id}\nevent:${name}\ndata:${JSON.stringify(data)}\n\n`
const time = (id: string, t: number) => ev(id, 'server-time', { time: t })

const clients: Client<typeof events>[] = []
afterEach(() => {
  for (const client of clients.splice(0)) client.close()
})

/** A client with everything it reports recorded. */
function open(options: ClientOptions = {}) {
  const client = createClient(events, URL_, options)
  clients.push(client)
  const statuses: ClientStatus[] = []
  const errors: ClientError[] = []
  const gaps: GapInfo[] = []
  const times: Array<[number, string | undefined]> = []
  client.on('tidings:status', (s) => statuses.push(s))
  client.on('tidings:error', (e) => errors.push(e))
  client.on('tidings:gap', (g) => gaps.push(g))
  client.on('server-time', ({ time }, { id }) => times.push([time, id]))
  return { client, statuses, errors, gaps, times }
}

const states = (statuses: ClientStatus[]) => statuses.map((s) => s.state)
/**
 * The id each connection resumed from: in the `lastEventId` query parameter (a
 * Tidings stream), or in the Last-Event-ID header (marked `header:`, as its UTF-8
 * bytes decoded), never both.
 */
const sentIds = () =>
  fake.seen.map((s) => {
    const query = s.url.searchParams.get('lastEventId')
    const header = s.headers.get('last-event-id')
    if (header === null) return query
    const text = new TextDecoder().decode(Uint8Array.from(header, (c) => c.charCodeAt(0)))
    return query === null ? `header:${text}` : 'both'
  })
const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })

describe('connecting and receiving', () => {
  it('asks for an event stream with the topics and no Last-Event-ID, then goes open', async () => {
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { client, statuses } = open({ topics: ['room:lobby', 'news'] })
    expect(client.status).toEqual({ state: 'connecting' })
    await until(() => client.status.state === 'open')
    expect(states(statuses)).toEqual(['connecting', 'open'])
    const [request] = fake.seen
    expect(request?.url.searchParams.getAll('topic')).toEqual(['room:lobby', 'news'])
    expect(request?.headers.get('accept')).toBe('text/event-stream')
    expect(request?.headers.get('last-event-id')).toBeNull()
  })

  it('hands handlers the validated output and the meta, in order', async () => {
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { client, times } = open()
    const stamped: Array<[Date, string]> = []
    client.on('stamped', ({ at }, meta) => stamped.push([at, meta.event]))
    body.push(time('e1-1', 1) + time('e1-2', 2))
    body.push(ev('e1-3', 'stamped', { at: '2026-01-02T00:00:00.000Z' }))
    await until(() => stamped.length === 1)
    expect(times).toEqual([
      [1, 'e1-1'],
      [2, 'e1-2'],
    ])
    expect(stamped[0]?.[0]).toBeInstanceOf(Date)
    expect(stamped[0]?.[1]).toBe('stamped')
    expect(client.lastEventId).toBe('e1-3')
  })

  it('reports an invalid payload with event, id and issues, and goes on', async () => {
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { client, errors, times } = open()
    body.push(
      time('e1-1', 1) +
        ev('e1-2', 'server-time', { time: 'noon' }) +
        'id:e1-3\nevent:server-time\ndata:{oops\n\n',
    )
    body.push(time('e1-4', 4))
    await until(() => times.length === 2)
    expect(times).toEqual([
      [1, 'e1-1'],
      [4, 'e1-4'],
    ])
    expect(errors).toHaveLength(2)
    const [invalid, undecodable] = errors as [ValidationError, ValidationError]
    expect(invalid).toBeInstanceOf(ValidationError)
    expect(invalid).toMatchObject({ event: 'server-time', id: 'e1-2' })
    expect(invalid.issues[0]?.path).toEqual(['time'])
    expect(undecodable).toMatchObject({ event: 'server-time', id: 'e1-3' })
    expect(undecodable.message).toMatch(/cannot decode/)
    expect(client.lastEventId).toBe('e1-4')
    expect(client.status.state).toBe('open')
  })

  it('ignores event names outside the contract, showing them to onDebug', async () => {
    const debug: DebugInfo[] = []
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { client, times } = open({ onDebug: (info) => debug.push(info) })
    body.push(`data: plain message\n\n${ev('e1-1', 'tidings:status', { state: 'closed' })}`)
    body.push(ev('e1-2', 'toString', 1) + time('e1-3', 3))
    await until(() => times.length === 1)
    expect(debug).toEqual([
      { type: 'unknown-event', event: 'message', id: undefined, data: 'plain message' },
      { type: 'unknown-event', event: 'tidings:status', id: 'e1-1', data: '{"state":"closed"}' },
      { type: 'unknown-event', event: 'toString', id: 'e1-2', data: '1' },
    ])
    expect(client.status.state).toBe('open')
  })

  it('reports an over-long line as a ParseError and keeps the rest of the stream', async () => {
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { errors, times } = open({ maxLineLength: 64 })
    body.push(
      `${time('e1-1', 1)}id:e1-2\nevent:server-time\ndata:${'x'.repeat(100)}\n\n${time('e1-3', 3)}`,
    )
    await until(() => times.length === 2)
    expect(times.map(([t]) => t)).toEqual([1, 3])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(ParseError)
  })

  it('keeps other handlers and the stream going when a handler throws', async () => {
    const reported: unknown[] = []
    vi.stubGlobal('reportError', (error: unknown) => reported.push(error))
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { client, times } = open()
    const boom = new Error('handler bug')
    client.on('server-time', () => {
      throw boom
    })
    const after: number[] = []
    client.on('server-time', ({ time }) => after.push(time))
    body.push(time('e1-1', 1) + time('e1-2', 2))
    await until(() => after.length === 2)
    expect(times).toHaveLength(2)
    expect(reported).toEqual([boom, boom])
  })
})

describe('options', () => {
  it('calls a custom fetch with GET, no-store, the credentials and the signal', async () => {
    const calls: Array<[string, Parameters<FetchLike>[1]]> = []
    const customFetch: FetchLike = async (url, init) => {
      calls.push([url, init])
      return { status: 204, headers: { get: () => null }, body: null }
    }
    const { client } = open({
      fetch: customFetch,
      credentials: 'include',
      topics: ['a'],
      lastEventId: 'e1-3',
    })
    await until(() => client.status.state === 'closed')
    expect(calls).toEqual([
      [
        `${URL_}?topic=a&lastEventId=e1-3`,
        {
          method: 'GET',
          headers: { accept: 'text/event-stream' },
          signal: expect.any(AbortSignal),
          cache: 'no-store',
          credentials: 'include',
        },
      ],
    ])
  })

  it('keeps a query the URL already has', async () => {
    const seen: string[] = []
    const client = createClient(events, new URL(`${URL_}?v=2`), {
      topics: ['x y'],
      replay: 5,
      fetch: async (url) => {
        seen.push(url)
        return { status: 204, headers: { get: () => null }, body: null }
      },
    })
    clients.push(client)
    await until(() => client.status.state === 'closed')
    expect(seen).toEqual([`${URL_}?v=2&topic=x+y&replay=5`])
  })

  it('reports a contract whose schema validates asynchronously, and goes on', async () => {
    const asyncEvents = defineEvents({
      slow: z.object({ n: z.number() }).refine(async () => true),
      fast: z.object({ n: z.number() }),
    })
    const body = sse(HELLO, ev('e1-1', 'slow', { n: 1 }), ev('e1-2', 'fast', { n: 2 }))
    fake.serve(stream(body))
    const client = createClient(asyncEvents, URL_)
    clients.push(client as never)
    const errors: ClientError[] = []
    const fast: number[] = []
    client.on('tidings:error', (e) => errors.push(e))
    client.on('fast', ({ n }) => fast.push(n))
    await until(() => fast.length === 1)
    expect(errors).toEqual([
      expect.objectContaining({ name: 'ContractError', code: 'async_validator' }),
    ])
  })
})

describe('listeners', () => {
  it('on returns an unsubscribe; once fires once; off removes either', async () => {
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { client } = open()
    const a: number[] = []
    const b: number[] = []
    const c: number[] = []
    const d: number[] = []
    const unsubscribe = client.on('server-time', ({ time }) => a.push(time))
    client.once('server-time', ({ time }) => b.push(time))
    const cHandler = ({ time }: { time: number }) => c.push(time)
    client.on('server-time', cHandler)
    const dHandler = ({ time }: { time: number }) => d.push(time)
    client.once('server-time', dHandler)
    client.off('server-time', dHandler)
    // Removing a handler that was never added removes nothing else.
    client.off('server-time', () => {})
    body.push(time('e1-1', 1))
    await until(() => a.length === 1)
    unsubscribe()
    client.off('server-time', cHandler)
    const e: number[] = []
    client.on('server-time', ({ time }) => e.push(time))
    body.push(time('e1-2', 2))
    await until(() => e.length === 1)
    expect({ a, b, c, d, e }).toEqual({ a: [1], b: [1], c: [1], d: [], e: [2] })
  })
})

describe('transport option', () => {
  it('refuses transport websocket where there is no WebSocket, and reads SSE otherwise', async () => {
    expect(typeof (globalThis as { WebSocket?: unknown }).WebSocket).toBe('undefined')
    expect(() => createClient(events, URL_, { transport: 'websocket' })).toThrow(
      /pass the WebSocket option/,
    )
    // 'auto' without a WebSocket is SSE.
    fake.serve(stream(sse(HELLO)))
    const { client } = open()
    await until(() => client.status.state === 'open')
    expect(client.status).toEqual({ state: 'open', transport: 'sse' })
  })
})

describe('listener housekeeping', () => {
  it('counts handlers and removes those of one name or all, keeping onDebug', async () => {
    const debug: DebugInfo[] = []
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { client, times } = open({ onDebug: (info) => debug.push(info) })
    const extra: number[] = []
    client.on('server-time', ({ time }) => extra.push(time))
    expect(client.listenerCount('server-time')).toBe(2)
    expect(client.listenerCount('tidings:gap')).toBe(1)
    client.removeAllListeners('server-time')
    expect(client.listenerCount('server-time')).toBe(0)
    client.removeAllListeners()
    expect(client.listenerCount('tidings:status')).toBe(0)
    body.push(time('e1-1', 1) + ev('e1-2', 'unknown', 1))
    await until(() => debug.length === 1)
    expect([times, extra]).toEqual([[], []])
  })
})

describe('status, content type and retry branches', () => {
  it('accepts text/event-stream with parameters, in any case', async () => {
    fake.serve(stream(sse(HELLO), { 'content-type': 'Text/Event-Stream ; charset=UTF-8' }))
    const { client } = open()
    await until(() => client.status.state === 'open')
  })

  it.each([
    ['text/html', 'text/html; charset=utf-8'],
    ['no content type', undefined],
    ['a prefix', 'text/event-streamed'],
  ])('fails the connection for good on a 200 with %s', async (_, type) => {
    fake.serve(stream(sse(HELLO), type === undefined ? {} : { 'content-type': type }))
    const { client, errors, statuses } = open()
    await until(() => client.status.state === 'closed')
    const error = errors[0] as ResponseError
    expect(error).toBeInstanceOf(ResponseError)
    expect(error).toMatchObject({ code: 'content_type', status: 200, willRetry: false })
    expect(statuses.at(-1)).toEqual({ state: 'closed', reason: 'fatal-status', error })
    expect(fake.seen).toHaveLength(1)
  })

  it('stops on 204 without an error', async () => {
    fake.serve(status(204))
    const { client, errors, statuses } = open()
    await until(() => client.status.state === 'closed')
    expect(errors).toEqual([])
    expect(states(statuses)).toEqual(['connecting', 'closed'])
    await flush()
    expect(fake.seen).toHaveLength(1)
  })

  it.each([400, 401, 403, 404, 405])('treats %i as fatal by default', async (code) => {
    fake.serve(
      status(code, { 'content-type': 'application/json' }, '{"error":{"code":"x","message":"y"}}'),
    )
    const { client, errors } = open()
    await until(() => client.status.state === 'closed')
    expect(errors[0]).toMatchObject({
      name: 'ResponseError',
      code: 'http_status',
      status: code,
      willRetry: false,
    })
    expect(fake.seen).toHaveLength(1)
  })

  it.each([500, 502, 503, 504])('retries %i with backoff', async (code) => {
    fakeTimers()
    fake.serve(status(code), stream(sse(HELLO)))
    const { client, errors, statuses } = open({ reconnect: { jitter: 0, initialDelayMs: 1000 } })
    await until(() => errors.length === 1)
    expect(errors[0]).toMatchObject({ status: code, willRetry: true })
    expect(statuses.at(-1)).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 1000 })
    await vi.advanceTimersByTimeAsync(999)
    expect(fake.seen).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    await until(() => client.status.state === 'open')
    expect(fake.seen).toHaveLength(2)
  })

  it('honours Retry-After (seconds or a date) on 429 and 503 as a floor', async () => {
    fakeTimers()
    const inTwentySeconds = new Date(Date.now() + 20_000).toUTCString()
    fake.serve(status(429, { 'retry-after': '7' }), status(503, { 'retry-after': inTwentySeconds }))
    const { errors, statuses } = open({ reconnect: { jitter: 0, initialDelayMs: 10 } })
    await until(() => errors.length === 1)
    expect(errors[0]).toMatchObject({ status: 429, retryAfterMs: 7000, willRetry: true })
    expect(statuses.at(-1)).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 7000 })
    await vi.advanceTimersByTimeAsync(7000)
    await until(() => errors.length === 2)
    // The date has a one-second resolution and 7 s have passed.
    const delay = (statuses.at(-1) as { delayMs: number }).delayMs
    expect(delay).toBeGreaterThan(11_000)
    expect(delay).toBeLessThanOrEqual(13_000)
  })

  it('retries network failures (the request, then the stream) as ConnectionError', async () => {
    fakeTimers()
    const broken = sse(HELLO, time('e1-1', 1))
    fake.serve(() => HttpResponse.error(), stream(broken), stream(sse(HELLO)))
    const { client, errors } = open({ reconnect: { jitter: 0, initialDelayMs: 100 } })
    await until(() => errors.length === 1)
    expect(errors[0]).toBeInstanceOf(ConnectionError)
    expect(errors[0]).toMatchObject({ code: 'network', willRetry: true })
    await vi.advanceTimersByTimeAsync(100)
    await until(() => client.lastEventId === 'e1-1')
    broken.fail()
    await until(() => errors.length === 2)
    expect(errors[1]).toMatchObject({ code: 'network', willRetry: true })
    await vi.advanceTimersByTimeAsync(100)
    await until(() => fake.seen.length === 3)
    expect(sentIds()).toEqual([null, null, 'e1-1'])
  })

  it('gives up after maxAttempts failures in a row', async () => {
    fakeTimers()
    fake.serve(status(500), status(502), status(503))
    const { client, errors, statuses } = open({
      reconnect: { jitter: 0, initialDelayMs: 10, maxAttempts: 2 },
    })
    await until(() => errors.length === 1)
    await vi.advanceTimersByTimeAsync(10)
    await until(() => errors.length === 2)
    await vi.advanceTimersByTimeAsync(20)
    await until(() => client.status.state === 'closed')
    expect(
      errors.map((e) => [(e as ResponseError).status, (e as ResponseError).willRetry]),
    ).toEqual([
      [500, true],
      [502, true],
      [503, false],
    ])
    expect(statuses.at(-1)).toEqual({ state: 'closed', reason: 'fatal-status', error: errors[2] })
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('backoff', () => {
  it('doubles up to maxDelayMs, never below the server retry, and resets after a healthy connection', async () => {
    fakeTimers()
    fake.serve(
      status(500),
      status(500),
      status(500),
      status(500),
      stream(sse(': hi\n\n')), // healthy: bytes arrived
      status(500),
    )
    const { errors, statuses } = open({
      reconnect: { jitter: 0, initialDelayMs: 1000, maxDelayMs: 5000 },
    })
    const delays: number[] = []
    for (const expected of [1, 2, 3, 4]) {
      await until(() => errors.length === expected)
      const last = statuses.at(-1) as { attempt: number; delayMs: number }
      expect(last.attempt).toBe(expected)
      delays.push(last.delayMs)
      await vi.advanceTimersByTimeAsync(last.delayMs)
    }
    expect(delays).toEqual([1000, 2000, 4000, 5000])
    await until(() => statuses.at(-1)?.state === 'open')
    // The healthy stream ends: the next attempt counts from 1 again.
    expect(fake.seen).toHaveLength(5)
  })

  it('spreads delays with full jitter between 0 and the bound, floored by retry:', async () => {
    fakeTimers()
    vi.spyOn(Math, 'random').mockReturnValue(0.75)
    const first = sse(': tidings heartbeat=15000\n\n')
    const second = sse('retry:800\n\n')
    fake.serve(stream(first), stream(second), stream(sse()))
    const { statuses } = open({ reconnect: { initialDelayMs: 1000 } })
    await until(() => statuses.at(-1)?.state === 'open')
    first.end()
    await until(() => statuses.at(-1)?.state === 'reconnecting')
    expect(statuses.at(-1)).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 250 })
    await vi.advanceTimersByTimeAsync(250)
    await until(() => statuses.at(-1)?.state === 'open')
    await flush()
    second.end()
    await until(() => statuses.at(-1)?.state === 'reconnecting')
    expect(statuses.at(-1)).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 800 })
  })
})

describe('delays past what a timer can hold', () => {
  // setTimeout takes a signed 32-bit delay: anything longer fires after ~1 ms.
  const MAX = 2 ** 31 - 1
  const ended = (text: string) => {
    const body = sse(text)
    body.end()
    return body
  }

  it.each([
    ['retry: of 2^31 ms', [stream(ended('retry:2147483648\n\n'))]],
    ['Retry-After past 24.8 days', [status(503, { 'retry-after': '2200000' })]],
    [
      'Retry-After as a far date',
      [status(503, { 'retry-after': 'Fri, 01 Jan 2200 00:00:00 GMT' })],
    ],
  ])('waits at most 2^31-1 ms, not ~1 ms, for a %s', async (_, responders) => {
    fakeTimers()
    fake.serve(...responders)
    const { statuses } = open({ reconnect: { jitter: 0 } })
    await until(() => statuses.at(-1)?.state === 'reconnecting')
    expect(statuses.at(-1)).toEqual({ state: 'reconnecting', attempt: 1, delayMs: MAX })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fake.seen).toHaveLength(1)
  })

  it('arms the idle timer for the longest a timer can wait on a huge heartbeat, not 1 ms over and over', async () => {
    fakeTimers()
    fake.serve(stream(sse(': tidings heartbeat=9999999999\n\n')))
    const { client, errors } = open()
    await until(() => client.status.state === 'open')
    await flush()
    const start = Date.now()
    await vi.advanceTimersToNextTimerAsync()
    // The idle timer (2 x heartbeat + 5 s) waits the longest a timer can.
    expect(Date.now() - start).toBe(MAX)
    expect(errors).toEqual([])
    expect(client.status.state).toBe('open')
  })
})

describe('resume', () => {
  /** Serves `bodies` in turn; returns the Last-Event-ID each connection sent. */
  async function reconnectThrough(bodies: Sse[], options: ClientOptions = {}) {
    fake.serve(...bodies.map((b) => stream(b)))
    return open({ reconnect: { initialDelayMs: 1 }, ...options })
  }

  it('sends the last processed id on every reconnect', async () => {
    const first = sse(HELLO, time('e1-1', 1), time('e1-2', 2))
    const second = sse(HELLO, time('e1-3', 3))
    const { client, times } = await reconnectThrough([first, second])
    await until(() => times.length === 2)
    first.end()
    await until(() => times.length === 3)
    expect(sentIds()).toEqual([null, 'e1-2'])
    expect(client.lastEventId).toBe('e1-3')
  })

  it('resumes from a bookmark (an id with no data) on a connection that got no event', async () => {
    const first = sse(`${HELLO}id:e1-41\n\n`)
    const second = sse(HELLO)
    const { client } = await reconnectThrough([first, second])
    await until(() => client.lastEventId === 'e1-41')
    first.end()
    await until(() => fake.seen.length === 2)
    expect(sentIds()).toEqual([null, 'e1-41'])
  })

  it('starts from the lastEventId option and sends replay only on a fresh start', async () => {
    const first = sse(HELLO)
    fake.serve(stream(first), stream(sse(HELLO)))
    const { client } = open({ lastEventId: 'e1-7', replay: 20, reconnect: { initialDelayMs: 1 } })
    await until(() => client.status.state === 'open')
    expect(sentIds()).toEqual(['e1-7'])
    expect(fake.seen[0]?.url.searchParams.get('replay')).toBeNull()
    fake.reset()

    const fresh = sse(`${HELLO}id:e1-9\n\n`, time('e1-8', 8), time('e1-9', 9))
    fake.serve(stream(fresh), stream(sse(HELLO)))
    const second = open({ replay: 2, reconnect: { initialDelayMs: 1 } })
    // A bookmark ahead of the replayed events must not make them look like duplicates.
    await until(() => second.times.length === 2)
    fresh.end()
    await until(() => fake.seen.length === 2)
    expect(fake.seen.map((s) => s.url.searchParams.get('replay'))).toEqual(['2', null])
    expect(sentIds()).toEqual([null, 'e1-9'])
  })

  it('drops events a replay repeats (same epoch, seq not after the last one)', async () => {
    const debug: DebugInfo[] = []
    const first = sse(HELLO, time('e1-1', 1), time('e1-2', 2))
    const second = sse(HELLO, time('e1-1', 1), time('e1-2', 2), time('e1-3', 3))
    const { times } = await reconnectThrough([first, second], { onDebug: (d) => debug.push(d) })
    await until(() => times.length === 2)
    first.end()
    await until(() => times.length === 3)
    expect(times.map(([t]) => t)).toEqual([1, 2, 3])
    expect(debug).toEqual([
      { type: 'duplicate', event: 'server-time', id: 'e1-1' },
      { type: 'duplicate', event: 'server-time', id: 'e1-2' },
    ])
  })

  it('delivers every event of a stream that never identified itself as Tidings, as the spec does', async () => {
    const numbers = defineEvents({ message: z.number() })
    const debug: DebugInfo[] = []
    // Ids shaped like Tidings ids, going back, repeated, or missing: a standard
    // EventSource delivers each of them, with the last id the stream set.
    const first = sse(
      'id: order-1\ndata: 1\n\n',
      'data: 2\n\n',
      'id: order-7\ndata: 3\n\n',
      'id: order-5\ndata: 4\n\n',
      'id: order-5\ndata: 5\n\n',
      'id: b-1\ndata: 6\n\n',
    )
    const second = sse('id: b-1\ndata: 7\n\n', 'data: 8\n\n', 'id: a-0\ndata: 9\n\n')
    fake.serve(stream(first), stream(second))
    const client = createClient(numbers, URL_, {
      reconnect: { initialDelayMs: 1 },
      onDebug: (d) => debug.push(d),
    })
    clients.push(client as never)
    const gaps: GapInfo[] = []
    client.on('tidings:gap', (g) => gaps.push(g))
    const got: Array<[number, string | undefined]> = []
    client.on('message', (n, { id }) => got.push([n, id]))
    await until(() => got.length === 6)
    first.end()
    await until(() => got.length === 9)
    expect(got).toEqual([
      [1, 'order-1'],
      [2, 'order-1'],
      [3, 'order-7'],
      [4, 'order-5'],
      [5, 'order-5'],
      [6, 'b-1'],
      [7, 'b-1'],
      [8, 'b-1'],
      [9, 'a-0'],
    ])
    expect(debug).toEqual([])
    expect(gaps).toEqual([])
    expect(sentIds()).toEqual([null, 'header:b-1'])
  })

  it('keeps the last event id across a reconnect: an event without id reports the inherited one', async () => {
    const numbers = defineEvents({ message: z.number() })
    const first = sse('id: abc\ndata: 1\n\n')
    const second = sse('data: 2\n\n', 'id\ndata: 3\n\n')
    fake.serve(stream(first), stream(second))
    const client = createClient(numbers, URL_, { reconnect: { initialDelayMs: 1 } })
    clients.push(client as never)
    const got: Array<[number, string | undefined]> = []
    client.on('message', (n, { id }) => got.push([n, id]))
    await until(() => got.length === 1)
    first.end()
    await until(() => got.length === 3)
    // As EventSource: the id survives the reconnect until the stream clears it.
    expect(got).toEqual([
      [1, 'abc'],
      [2, 'abc'],
      [3, undefined],
    ])
    expect(sentIds()).toEqual([null, 'header:abc'])
    expect(client.lastEventId).toBeUndefined()
  })

  it('sends the lastEventId option in the query when it is a Tidings id, else in the header', async () => {
    fake.serve(status(204), status(204))
    const tidingsId = open({ lastEventId: 'e1-7' })
    await until(() => tidingsId.client.status.state === 'closed')
    const other = open({ lastEventId: 'order 7' })
    await until(() => other.client.status.state === 'closed')
    expect(sentIds()).toEqual(['e1-7', 'header:order 7'])
  })

  it('sends Last-Event-ID as UTF-8 bytes, in and outside the Latin-1 range', async () => {
    const numbers = defineEvents({ message: z.number() })
    const first = sse('id: caf\u00e9\ndata: 1\n\n')
    const second = sse('id: \u65e5\u672c-\ud83d\ude00\ndata: 2\n\n')
    fake.serve(stream(first), stream(second), stream(sse()))
    const client = createClient(numbers, URL_, { reconnect: { initialDelayMs: 1 } })
    clients.push(client as never)
    const errors: ClientError[] = []
    client.on('tidings:error', (e) => errors.push(e))
    const got: number[] = []
    client.on('message', (n) => got.push(n))
    await until(() => got.length === 1)
    first.end()
    await until(() => got.length === 2)
    second.end()
    await until(() => fake.seen.length === 3)
    expect(sentIds()).toEqual([null, 'header:caf\u00e9', 'header:\u65e5\u672c-\ud83d\ude00'])
    expect(errors).toEqual([])
  })

  it('switches to the header when the server stops saying it is Tidings', async () => {
    const first = sse(HELLO, time('e1-1', 1))
    const second = sse(time('e1-2', 2))
    fake.serve(stream(first), stream(second), stream(sse()))
    const { times } = await reconnectThrough([])
    await until(() => times.length === 1)
    first.end()
    await until(() => times.length === 2)
    second.end()
    await until(() => fake.seen.length === 3)
    expect(sentIds()).toEqual([null, 'e1-1', 'header:e1-2'])
  })

  it('reports the server gap, then follows the new position even when it is behind', async () => {
    const first = sse(HELLO, time('e1-5', 5))
    const gap = { reason: 'unknown', lastEventId: 'e1-5' }
    const second = sse(HELLO, ev('e1-2', 'tidings:gap', gap), time('e1-3', 3))
    const third = sse(HELLO)
    const { client, gaps, times } = await reconnectThrough([first, second, third])
    await until(() => times.length === 1)
    first.end()
    await until(() => times.length === 2)
    expect(gaps).toEqual([gap])
    expect(times).toEqual([
      [5, 'e1-5'],
      [3, 'e1-3'],
    ])
    second.end()
    await until(() => fake.seen.length === 3)
    expect(sentIds()).toEqual([null, 'e1-5', 'e1-3'])
    expect(client.lastEventId).toBe('e1-3')
  })

  it('reports a gap on a new epoch the server did not announce, and a gap with bad data', async () => {
    const first = sse(HELLO, time('e1-5', 5))
    const second = sse(HELLO, time('e2-1', 1), 'id:e2-1\nevent:tidings:gap\ndata:nonsense\n\n')
    const { gaps, times } = await reconnectThrough([first, second])
    await until(() => times.length === 1)
    first.end()
    await until(() => gaps.length === 2)
    expect(times.map(([t]) => t)).toEqual([5, 1])
    expect(gaps).toEqual([
      { reason: 'other-epoch', lastEventId: 'e1-5' },
      { reason: 'unknown', lastEventId: 'e1-5' },
    ])
  })

  it('clears the resume position when the server sends an empty id (as EventSource does)', async () => {
    const first = sse(HELLO, time('e1-1', 1), 'id\n\n')
    const { client } = await reconnectThrough([first, sse(HELLO)])
    await until(() => client.lastEventId === undefined && fake.seen.length === 1)
    await flush()
    expect(client.lastEventId).toBeUndefined()
    first.end()
    await until(() => fake.seen.length === 2)
    expect(sentIds()).toEqual([null, null])
  })
})

describe('headers and onHttpError', () => {
  it('evaluates a headers function on every connect', async () => {
    let token = 0
    const headers = vi.fn(async () => ({ authorization: `Bearer ${++token}` }))
    const first = sse(HELLO)
    fake.serve(stream(first), stream(sse(HELLO)))
    open({ headers, reconnect: { initialDelayMs: 1 } })
    await until(() => fake.seen.length === 1)
    first.end()
    await until(() => fake.seen.length === 2)
    expect(fake.seen.map((s) => s.headers.get('authorization'))).toEqual(['Bearer 1', 'Bearer 2'])
    expect(headers).toHaveBeenCalledTimes(2)
  })

  it('sends a headers object as is', async () => {
    fake.serve(stream(sse(HELLO)))
    open({ headers: { 'x-team': 'blue' } })
    await until(() => fake.seen.length === 1)
    expect(fake.seen[0]?.headers.get('x-team')).toBe('blue')
  })

  it('retries with backoff when the headers function throws', async () => {
    const cause = new Error('token service down')
    let calls = 0
    fake.serve(stream(sse(HELLO)))
    const { client, errors } = open({
      reconnect: { initialDelayMs: 1 },
      headers: () => {
        if (++calls === 1) throw cause
        return {}
      },
    })
    await until(() => client.status.state === 'open')
    expect(errors[0]).toMatchObject({
      name: 'ConnectionError',
      code: 'headers',
      willRetry: true,
      cause,
    })
    expect(fake.seen).toHaveLength(1)
  })

  it('refreshes a token on 401 and resumes from the same position', async () => {
    let token = 'old'
    const first = sse(HELLO, time('e1-1', 1))
    fake.serve(stream(first), status(401), stream(sse(HELLO, time('e1-2', 2))))
    const onHttpError = vi.fn(async (error: ResponseError) => {
      if (error.status !== 401) return undefined
      token = 'new'
      return 'retry' as const
    })
    const { errors, times } = open({
      headers: () => ({ authorization: token }),
      onHttpError,
      reconnect: { initialDelayMs: 1 },
    })
    await until(() => times.length === 1)
    first.end()
    await until(() => times.length === 2)
    expect(onHttpError).toHaveBeenCalledWith(expect.any(ResponseError), { attempt: 2 })
    expect(errors).toEqual([expect.objectContaining({ status: 401, willRetry: true })])
    expect(fake.seen.map((s) => s.headers.get('authorization'))).toEqual(['old', 'old', 'new'])
    expect(sentIds()).toEqual([null, 'e1-1', 'e1-1'])
  })

  it('lets the hook stop on a status the default would retry', async () => {
    fake.serve(status(503))
    const { client, errors } = open({ onHttpError: () => 'stop' })
    await until(() => client.status.state === 'closed')
    expect(errors[0]).toMatchObject({ status: 503, willRetry: false })
  })
})

describe('idle timeout', () => {
  it('derives it from the hello heartbeat and reconnects a silent stream', async () => {
    fakeTimers()
    const first = sse(': tidings heartbeat=1000\n\n')
    fake.serve(stream(first), stream(sse(HELLO)))
    const { errors, statuses } = open({ reconnect: { initialDelayMs: 1, jitter: 0 } })
    await until(() => statuses.at(-1)?.state === 'open')
    await flush()
    // Heartbeats keep it alive past the timeout (2 x 1000 + 5000 ms).
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(2000)
      first.push(':\n')
      await flush()
    }
    expect(errors).toEqual([])
    await vi.advanceTimersByTimeAsync(6999)
    expect(errors).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    await until(() => errors.length === 1)
    expect(errors[0]).toMatchObject({
      name: 'ConnectionError',
      code: 'idle_timeout',
      willRetry: true,
    })
    await vi.advanceTimersByTimeAsync(1)
    await until(() => fake.seen.length === 2)
    expect(fake.seen[0]?.signal.aborted).toBe(true)
  })

  it('has none when the server announces no heartbeat and none is configured', async () => {
    fakeTimers()
    fake.serve(stream(sse('retry:100\n\n')))
    const { errors, statuses } = open()
    await until(() => statuses.at(-1)?.state === 'open')
    await flush()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(3_600_000)
    expect(errors).toEqual([])
    expect(fake.seen).toHaveLength(1)
  })

  it('uses a configured idleTimeoutMs with any server', async () => {
    fakeTimers()
    fake.serve(stream(sse('retry:100\n\n')), stream(sse()))
    const { errors, statuses } = open({ idleTimeoutMs: 500, reconnect: { initialDelayMs: 1 } })
    await until(() => statuses.at(-1)?.state === 'open')
    await vi.advanceTimersByTimeAsync(500)
    await until(() => errors.length === 1)
    expect(errors[0]).toMatchObject({ code: 'idle_timeout' })
  })
})

describe('connect timeout', () => {
  const never: Parameters<typeof fake.serve>[0] = () => new Promise<Response>(() => {})

  it('gives up on a server that accepts and never answers, then backs off and retries', async () => {
    fakeTimers()
    fake.serve(never, stream(sse(HELLO)))
    const { client, errors, statuses } = open({ reconnect: { jitter: 0, initialDelayMs: 100 } })
    await until(() => fake.seen.length === 1)
    await vi.advanceTimersByTimeAsync(19_999)
    expect(client.status).toEqual({ state: 'connecting' })
    await vi.advanceTimersByTimeAsync(1)
    await until(() => errors.length === 1)
    expect(errors[0]).toBeInstanceOf(ConnectionError)
    expect(errors[0]).toMatchObject({ code: 'connect_timeout', willRetry: true })
    expect(fake.seen[0]?.signal.aborted).toBe(true)
    expect(statuses.at(-1)).toEqual({ state: 'reconnecting', attempt: 1, delayMs: 100 })
    await vi.advanceTimersByTimeAsync(100)
    await until(() => client.status.state === 'open')
  })

  it('counts a headers function that never settles, and can be set or disabled', async () => {
    fakeTimers()
    fake.serve(stream(sse(HELLO)))
    let calls = 0
    const { client, errors } = open({
      connectTimeoutMs: 500,
      reconnect: { jitter: 0, initialDelayMs: 1 },
      headers: () => (++calls === 1 ? new Promise<Record<string, string>>(() => {}) : {}),
    })
    await vi.advanceTimersByTimeAsync(500)
    await until(() => errors.length === 1)
    expect(errors[0]).toMatchObject({ code: 'connect_timeout' })
    await vi.advanceTimersByTimeAsync(1)
    await until(() => client.status.state === 'open')

    fake.serve(never)
    const patient = open({ connectTimeoutMs: 0 })
    await until(() => fake.seen.length === 2)
    await vi.advanceTimersByTimeAsync(3_600_000)
    expect(patient.client.status).toEqual({ state: 'connecting' })
    expect(patient.errors).toEqual([])
  })
})

describe('close and signal', () => {
  it('close() aborts the request, clears every timer and reports closed', async () => {
    fakeTimers()
    const body = sse(': tidings heartbeat=1000\n\n')
    fake.serve(stream(body))
    const { client, statuses } = open()
    await until(() => client.status.state === 'open')
    await flush()
    expect(vi.getTimerCount()).toBe(1) // the idle timer
    client.close()
    client.close()
    expect(states(statuses)).toEqual(['connecting', 'open', 'closed'])
    expect(fake.seen[0]?.signal.aborted).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('says why it closed: close(), a 204, a fatal status, or errors past maxAttempts', async () => {
    fake.serve(stream(sse(HELLO)), status(204), status(403), () => HttpResponse.error())
    const closing = open()
    await until(() => closing.client.status.state === 'open')
    closing.client.close()
    const noContent = open()
    await until(() => noContent.client.status.state === 'closed')
    const forbidden = open()
    await until(() => forbidden.client.status.state === 'closed')
    const failing = open({ reconnect: { maxAttempts: 0 } })
    await until(() => failing.client.status.state === 'closed')
    expect([closing, noContent, forbidden, failing].map(({ client }) => client.status)).toEqual([
      { state: 'closed', reason: 'close' },
      { state: 'closed', reason: 'no-content' },
      { state: 'closed', reason: 'fatal-status', error: forbidden.errors[0] },
      { state: 'closed', reason: 'fatal-error', error: failing.errors[0] },
    ])
    expect(failing.errors[0]).toMatchObject({ name: 'ConnectionError', willRetry: false })
  })

  it('close() during a reconnect wait clears the wait', async () => {
    fakeTimers()
    fake.serve(status(500))
    const { client, statuses } = open()
    await until(() => statuses.at(-1)?.state === 'reconnecting')
    expect(vi.getTimerCount()).toBe(1)
    client.close()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fake.seen).toHaveLength(1)
  })

  it('close() from a status handler leaves no timer behind', async () => {
    fakeTimers()
    fake.serve(status(503), stream(sse(': tidings heartbeat=1000\n\n')))
    const first = open()
    first.client.on('tidings:status', (s) => {
      if (s.state === 'reconnecting') first.client.close()
    })
    await until(() => first.client.status.state === 'closed')
    expect(vi.getTimerCount()).toBe(0)

    const second = open()
    second.client.on('tidings:status', (s) => {
      if (s.state === 'open') second.client.close()
    })
    await until(() => second.client.status.state === 'closed')
    await flush()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('closes when the signal aborts, and never connects with an aborted one', async () => {
    const controller = new AbortController()
    fake.serve(stream(sse(HELLO)))
    const { client } = open({ signal: controller.signal })
    await until(() => client.status.state === 'open')
    controller.abort()
    expect(client.status).toEqual({ state: 'closed', reason: 'signal' })

    const { client: never, statuses } = open({ signal: AbortSignal.abort() })
    expect(never.status).toEqual({ state: 'closed', reason: 'signal' })
    await flush()
    expect(fake.seen).toHaveLength(1)
    expect(statuses).toEqual([])
  })

  it('emits nothing after close(), even for events already received', async () => {
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { client, times } = open()
    client.on('server-time', () => client.close())
    body.push(time('e1-1', 1) + time('e1-2', 2))
    await until(() => client.status.state === 'closed')
    await flush()
    expect(times).toEqual([[1, 'e1-1']])
  })
})

describe('browser wake-ups', () => {
  function stubPage() {
    const target = new EventTarget()
    const page = Object.assign(new EventTarget(), { visibilityState: 'visible' })
    vi.stubGlobal('addEventListener', target.addEventListener.bind(target))
    vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target))
    vi.stubGlobal('document', page)
    return {
      online: () => target.dispatchEvent(new Event('online')),
      visible: () => page.dispatchEvent(new Event('visibilitychange')),
    }
  }

  it('skips the backoff wait when the page comes back online', async () => {
    fakeTimers()
    const page = stubPage()
    fake.serve(status(503), stream(sse(HELLO)))
    const { client } = open({ reconnect: { initialDelayMs: 60_000, jitter: 0 } })
    await until(() => client.status.state === 'reconnecting')
    page.online()
    await until(() => client.status.state === 'open')
    expect(fake.seen).toHaveLength(2)
  })

  it('replaces a stream that went silent while the page was hidden, not a live one', async () => {
    fakeTimers()
    const page = stubPage()
    const first = sse(': tidings heartbeat=1000\n\n')
    fake.serve(stream(first), stream(sse(HELLO)))
    const { client, statuses } = open()
    await until(() => client.status.state === 'open')
    await flush()
    page.visible()
    await flush()
    expect(fake.seen).toHaveLength(1)
    // Frozen timers: the page was suspended for longer than the heartbeat allows.
    vi.setSystemTime(Date.now() + 6001)
    page.visible()
    await flush()
    await vi.advanceTimersByTimeAsync(0)
    await until(() => fake.seen.length === 2)
    expect(statuses.find((s) => s.state === 'reconnecting')).toEqual({
      state: 'reconnecting',
      attempt: 1,
      delayMs: 0,
    })
  })

  it('removes its page listeners on close', async () => {
    const page = stubPage()
    fake.serve(status(503))
    const { client } = open({ reconnect: { initialDelayMs: 60_000 } })
    await until(() => client.status.state === 'reconnecting')
    client.close()
    page.online()
    page.visible()
    await flush()
    expect(fake.seen).toHaveLength(1)
  })
})
