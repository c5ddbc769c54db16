import { defineEvents, type GapInfo } from '@tidings/schema'
import * as v from 'valibot'
import { describe, expectTypeOf, it } from 'vitest'
import { WebSocket as WsWebSocket } from 'ws'
import { z } from 'zod'
import {
  type Client,
  type ClientError,
  type ClientStatus,
  type CloseReason,
  createClient,
  type EndInfo,
  type EventMeta,
  type FetchLike,
} from './index.js'
import { createClient as createSseClient, type SseClientOptions } from './sse.js'

const events = defineEvents({
  'server-time': z.object({ time: z.number() }),
  stamped: z.object({ at: z.string().transform((s) => new Date(s)) }),
  ping: v.object({ n: v.number() }),
})
const client = createClient(events, '/events')

describe('client types', () => {
  it('is a Client of the contract', () => {
    expectTypeOf(client).toEqualTypeOf<Client<typeof events>>()
  })

  it('hands contract handlers the schema output and typed meta', () => {
    client.on('server-time', (payload, meta) => {
      expectTypeOf(payload).toEqualTypeOf<{ time: number }>()
      expectTypeOf(meta).toEqualTypeOf<EventMeta<'server-time'>>()
      expectTypeOf(meta.id).toEqualTypeOf<string | undefined>()
      expectTypeOf(meta.event).toEqualTypeOf<'server-time'>()
    })
    client.once('stamped', ({ at }) => expectTypeOf(at).toEqualTypeOf<Date>())
    client.on('ping', ({ n }) => expectTypeOf(n).toEqualTypeOf<number>())
  })

  it('types the lifecycle events on the same on/once/off', () => {
    client.on('tidings:status', (status) => expectTypeOf(status).toEqualTypeOf<ClientStatus>())
    client.on('tidings:error', (error) => expectTypeOf(error).toEqualTypeOf<ClientError>())
    const onGap = (gap: GapInfo) => gap
    client.once('tidings:gap', onGap)
    client.off('tidings:gap', onGap)
    expectTypeOf(client.on('tidings:gap', onGap)).toEqualTypeOf<() => void>()
  })

  it('types the end of a topic: the tidings:end event and ended()', () => {
    client.on('tidings:end', (info) => {
      expectTypeOf(info).toEqualTypeOf<EndInfo>()
      expectTypeOf(info.topic).toEqualTypeOf<string>()
      // The SDK's reasons autocomplete; an app's own string is accepted too.
      expectTypeOf<'complete'>().toExtend<typeof info.reason>()
      expectTypeOf<'timed-out'>().toExtend<typeof info.reason>()
    })
    expectTypeOf(client.ended('run:1')).toEqualTypeOf<Promise<EndInfo | undefined>>()
    // @ts-expect-error the end handler gets an EndInfo, not a GapInfo
    client.on('tidings:end', (gap: GapInfo) => gap)
    // @ts-expect-error a topic is a string
    client.ended(42)
  })

  it('narrows the status by state', () => {
    const status = client.status
    if (status.state === 'reconnecting') {
      expectTypeOf(status.attempt).toEqualTypeOf<number>()
      expectTypeOf(status.delayMs).toEqualTypeOf<number>()
    }
    if (status.state === 'closed') {
      expectTypeOf(status.reason).toEqualTypeOf<
        'close' | 'signal' | 'no-content' | 'fatal-status' | 'fatal-error' | 'ended'
      >()
      expectTypeOf(status.reason).toEqualTypeOf<CloseReason>()
      expectTypeOf(status.error).toEqualTypeOf<ClientError | undefined>()
    }
    expectTypeOf(client.lastEventId).toEqualTypeOf<string | undefined>()
  })

  it('accepts exactly the contract names and the lifecycle names, spelled out', () => {
    type Names =
      | 'server-time'
      | 'stamped'
      | 'ping'
      | 'tidings:status'
      | 'tidings:error'
      | 'tidings:gap'
      | 'tidings:end'
    expectTypeOf(client.on).parameter(0).toEqualTypeOf<Names>()
    expectTypeOf(client.once).parameter(0).toEqualTypeOf<Names>()
    expectTypeOf(client.off).parameter(0).toEqualTypeOf<Names>()
    // @ts-expect-error a misspelled name: the error lists the valid ones (event-names.test.ts)
    client.on('server-tme', () => {})
  })

  it('rejects unknown names, wrong payload types and reserved names outside the three', () => {
    // @ts-expect-error 'nope' is not an event of the contract
    client.on('nope', () => {})
    // @ts-expect-error 'tidings:open' is not a lifecycle event
    client.on('tidings:open', () => {})
    // @ts-expect-error time is a number, not a string
    client.on('server-time', (payload: { time: string }) => payload)
    // @ts-expect-error the status handler does not get an error
    client.on('tidings:status', (error: Error) => error)
  })

  it('accepts the global fetch and minimal fetch-likes, and async hooks', () => {
    expectTypeOf(fetch).toExtend<FetchLike>()
    createClient(events, new URL('http://localhost/events'), {
      fetch: async () => ({ status: 204, headers: { get: () => null }, body: null }),
      headers: async () => ({ authorization: 'Bearer x' }),
      onHttpError: async (error) => (error.status === 401 ? 'retry' : undefined),
      reconnect: { maxAttempts: Number.POSITIVE_INFINITY },
    })
  })

  it('accepts the platform WebSocket and the ws class, and names the transport when open', () => {
    createClient(events, '/events', { transport: 'websocket', WebSocket: WsWebSocket })
    createClient(events, '/events', { transport: 'auto', WebSocket: globalThis.WebSocket })
    // @ts-expect-error not a transport
    createClient(events, '/events', { transport: 'polling' })
    const status = client.status
    if (status.state === 'open') expectTypeOf(status.transport).toEqualTypeOf<'sse' | 'websocket'>()
  })

  it('types listenerCount and removeAllListeners by name', () => {
    expectTypeOf(client.listenerCount('server-time')).toEqualTypeOf<number>()
    client.removeAllListeners('tidings:gap')
    client.removeAllListeners()
    // @ts-expect-error not an event of the contract
    client.listenerCount('nope')
  })

  it('gives the SSE-only entry the same client, without the transport options', () => {
    const sseOnly = createSseClient(events, '/events', { topics: ['a'] })
    expectTypeOf(sseOnly).toEqualTypeOf<Client<typeof events>>()
    expectTypeOf<SseClientOptions>().not.toHaveProperty('transport')
    // @ts-expect-error the SSE-only client has no WebSocket transport
    createSseClient(events, '/events', { transport: 'websocket' })
  })
})
