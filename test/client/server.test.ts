import { setTimeout as sleep } from 'node:timers/promises'
import { createClient, type GapInfo, isResponseError } from '@tidings/client'
import { defineEvents } from '@tidings/schema'
import { createEmitter, HttpError } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod'
import { freePort } from '../support/net.js'
import {
  HANDLERS,
  random,
  type SeenRequest,
  type Served,
  serveEmitter,
  TRANSPORTS,
  until,
} from './support.js'

const events = defineEvents({
  tick: z.object({ n: z.number().int() }),
  note: z.object({ text: z.string() }),
})

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

// Every scenario through both handlers and over both transports: reconnect, resume,
// dedupe, gap, errors and status must not depend on either.
const MATRIX = HANDLERS.flatMap((kind) => TRANSPORTS.map((transport) => [kind, transport] as const))

describe.each(MATRIX)('against a real @tidings/server (%s handler, %s)', (kind, transport) => {
  const via = { transport, WebSocket }

  it('delivers thousands of events exactly once and in order while connections are cut at random', async () => {
    const TOTAL = 3000
    const seed = Math.floor(Math.random() * 2 ** 31)
    const rand = random(seed)
    const emitter = createEmitter(events, {
      history: { maxEvents: TOTAL * 2, maxAgeMs: 600_000 },
      retryMs: 10,
    })
    const served = await serveEmitter(kind, emitter)
    cleanups.push(
      () => served.close(),
      () => emitter.close(),
    )

    const client = createClient(events, `${served.url}/events`, {
      ...via,
      reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
    })
    cleanups.push(() => client.close())
    const received: number[] = []
    const ids: string[] = []
    const gaps: GapInfo[] = []
    let reconnects = 0
    client.on('tick', ({ n }, { id }) => {
      received.push(n)
      if (id) ids.push(id)
    })
    client.on('tidings:gap', (gap) => gaps.push(gap))
    client.on('tidings:status', (status) => {
      if (status.state === 'reconnecting') reconnects++
    })
    await until(() => client.status.state === 'open', 'the first connection')
    expect(client.status).toEqual({ state: 'open', transport })

    let kills = 0
    for (let n = 1; n <= TOTAL; ) {
      const batch = 1 + Math.floor(rand() * 40)
      for (let i = 0; i < batch && n <= TOTAL; i++) emitter.emit('tick', { n: n++ })
      // Cut in the middle of writes too: the socket dies with data still in flight.
      if (rand() < 0.15) kills += served.dropAll()
      await sleep(rand() < 0.5 ? 0 : 1)
    }
    await until(() => received.length >= TOTAL, `all ${TOTAL} events (seed ${seed})`)
    await sleep(20)

    expect({ seed, count: received.length }).toEqual({ seed, count: TOTAL })
    expect(received).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1))
    expect(new Set(ids).size).toBe(TOTAL)
    expect(gaps).toEqual([])
    expect(kills).toBeGreaterThan(5)
    expect(reconnects).toBeGreaterThan(5)
  })

  it('reports the gap when the server restarts with an empty history, then goes on live', async () => {
    const port = await freePort()
    const first = createEmitter(events, { retryMs: 10 })
    let served: Served = await serveEmitter(kind, first, port)
    const client = createClient(events, `${served.url}/events`, {
      ...via,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
    })
    cleanups.push(() => client.close())
    const notes: string[] = []
    const gaps: GapInfo[] = []
    client.on('note', ({ text }) => notes.push(text))
    client.on('tidings:gap', (gap) => gaps.push(gap))
    await until(() => client.status.state === 'open', 'the first connection')
    first.emit('note', { text: 'before' })
    const lastBefore = first.emit('note', { text: 'last before' })
    await until(() => notes.length === 2, 'the events before the restart')
    expect(client.lastEventId).toBe(lastBefore)

    await first.close()
    await served.close()
    const second = createEmitter(events, { retryMs: 10 })
    served = await serveEmitter(kind, second, port)
    cleanups.push(
      () => served.close(),
      () => second.close(),
    )
    await until(() => gaps.length === 1, 'the gap')
    expect(gaps).toEqual([{ reason: 'other-epoch', lastEventId: lastBefore }])
    await until(() => client.status.state === 'open', 'the new connection')
    second.emit('note', { text: 'after' })
    await until(() => notes.length === 3, 'the event after the restart')
    expect(notes).toEqual(['before', 'last before', 'after'])
    expect(client.lastEventId?.split('-')[0]).not.toBe(lastBefore.split('-')[0])
  })

  it('receives its topics and broadcasts only, live and through a replay', async () => {
    const emitter = createEmitter(events, { retryMs: 10 })
    const served = await serveEmitter(kind, emitter)
    cleanups.push(
      () => served.close(),
      () => emitter.close(),
    )
    const client = createClient(events, `${served.url}/events`, {
      ...via,
      topics: ['room:a', 'user.42'],
      reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
    })
    cleanups.push(() => client.close())
    const notes: string[] = []
    client.on('note', ({ text }) => notes.push(text))
    await until(() => client.status.state === 'open', 'the connection')
    emitter.to('room:a').emit('note', { text: 'a1' })
    emitter.to('room:b').emit('note', { text: 'b1' })
    emitter.emit('note', { text: 'all1' })
    emitter.to(['room:b', 'user.42']).emit('note', { text: 'u1' })
    await until(() => notes.length === 3, 'the live events')
    served.dropAll()
    emitter.to('room:b').emit('note', { text: 'b2' })
    emitter.to('room:a').emit('note', { text: 'a2' })
    await until(() => notes.length === 4, 'the replayed event')
    expect(notes).toEqual(['a1', 'all1', 'u1', 'a2'])
  })

  it('refreshes a token on 401 through onHttpError and resumes where it was', async () => {
    let valid = 'token-1'
    const emitter = createEmitter(events, {
      retryMs: 10,
      authorize: (request) => {
        if (request.headers.get('authorization') !== `Bearer ${valid}`) {
          throw new HttpError('unauthorized', 'Send a valid bearer token.')
        }
        return valid
      },
    })
    const served = await serveEmitter(kind, emitter)
    cleanups.push(
      () => served.close(),
      () => emitter.close(),
    )
    let token = 'token-1'
    const statuses: number[] = []
    const client = createClient(events, `${served.url}/events`, {
      ...via,
      headers: () => ({ authorization: `Bearer ${token}` }),
      reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
      onHttpError: (error) => {
        statuses.push(error.status)
        if (error.status !== 401) return undefined
        token = valid
        return 'retry'
      },
    })
    cleanups.push(() => client.close())
    const notes: string[] = []
    client.on('note', ({ text }) => notes.push(text))
    await until(() => client.status.state === 'open', 'the connection')
    emitter.emit('note', { text: 'one' })
    await until(() => notes.length === 1, 'the first event')
    // The token expires and the stream drops: the next connect is refused once.
    valid = 'token-2'
    served.dropAll()
    emitter.emit('note', { text: 'two' })
    await until(() => notes.length === 2, 'the event after the refresh')
    expect(statuses).toEqual([401])
    expect(notes).toEqual(['one', 'two'])
  })

  it('reports a refusal as a ResponseError and closes with reason fatal-status', async () => {
    const emitter = createEmitter(events, {
      authorize: () => {
        throw new HttpError('forbidden', 'Not for you.')
      },
    })
    const served = await serveEmitter(kind, emitter)
    cleanups.push(
      () => served.close(),
      () => emitter.close(),
    )
    const client = createClient(events, `${served.url}/events`, via)
    cleanups.push(() => client.close())
    const statuses: string[] = []
    client.on('tidings:status', (status) => statuses.push(status.state))
    await until(() => client.status.state === 'closed', 'the refusal')
    const { status } = client
    expect(status).toMatchObject({
      state: 'closed',
      reason: 'fatal-status',
      error: { name: 'ResponseError', code: 'http_status', status: 403, willRetry: false },
    })
    expect(isResponseError(status.state === 'closed' && status.error)).toBe(true)
    expect(statuses).toEqual(['connecting', 'closed'])
  })

  it('resumes from the bookmark when it was dropped before any event, with the query parameter', async () => {
    const emitter = createEmitter(events, { retryMs: 10 })
    emitter.emit('note', { text: 'old' })
    const seen: SeenRequest[] = []
    const served = await serveEmitter(kind, emitter, 0, seen)
    cleanups.push(
      () => served.close(),
      () => emitter.close(),
    )
    const client = createClient(events, `${served.url}/events`, {
      ...via,
      reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
    })
    cleanups.push(() => client.close())
    const notes: string[] = []
    client.on('note', ({ text }) => notes.push(text))
    await until(() => client.lastEventId !== undefined, 'the bookmark')
    const bookmark = client.lastEventId
    served.dropAll()
    // Emitted while the client is away: it must come back through the replay.
    emitter.emit('note', { text: 'while away' })
    await until(() => notes.length === 1, 'the event emitted while away')
    expect(notes).toEqual(['while away'])
    expect(bookmark?.endsWith('-1')).toBe(true)
    // No Last-Event-ID header: a cross-origin reconnect needs no CORS preflight.
    expect(
      seen.slice(0, 2).map((r) => [r.url.searchParams.get('lastEventId'), r.lastEventIdHeader]),
    ).toEqual([
      [null, null],
      [bookmark, null],
    ])
  })
})
