import { ValidationError } from '@tidings/schema'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createFakeServer,
  events,
  flush,
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
  createClient,
  type DebugInfo,
  type EndInfo,
  type WebSocketLike,
} from './index.js'

// The client side of streams that end: `tidings:end` once, `ended(topic)`, the
// topic left out of later reconnects, and a clean close once every topic ended.

const fake = createFakeServer()
beforeAll(() => fake.listen())
afterEach(() => fake.reset())
afterAll(() => fake.server.close())

const HELLO = ': tidings heartbeat=15000\nretry:1\n'
const ev = (id: string, name: string, data: unknown) =>
  `id:${id}\nevent:${name}\ndata:${JSON.stringify(data)}\n\n`
const end = (id: string, topic: string, reason: string) => ev(id, 'tidings:end', { topic, reason })
const time = (id: string, t: number) => ev(id, 'server-time', { time: t })

const clients: Client<typeof events>[] = []
afterEach(() => {
  for (const client of clients.splice(0)) client.close()
})

function open(options: ClientOptions = {}) {
  const client = createClient(events, URL_, {
    transport: 'sse',
    reconnect: { initialDelayMs: 1 },
    ...options,
  })
  clients.push(client)
  const statuses: ClientStatus[] = []
  const errors: ClientError[] = []
  const ends: EndInfo[] = []
  const debug: DebugInfo[] = []
  const times: number[] = []
  client.on('tidings:status', (s) => statuses.push(s))
  client.on('tidings:error', (e) => errors.push(e))
  client.on('tidings:end', (info) => ends.push(info))
  client.on('server-time', ({ time }) => times.push(time))
  return { client, statuses, errors, ends, debug, times }
}

const closedWith = (statuses: ClientStatus[]) => {
  const last = statuses.at(-1)
  return last?.state === 'closed' ? last.reason : undefined
}

describe('a topic that ends', () => {
  it('delivers tidings:end once, resolves ended(), closes with reason ended and never reconnects', async () => {
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { client, statuses, ends, times } = open({ topics: ['run:1'] })
    const pending = client.ended('run:1')
    body.push(time('e1-1', 1) + end('e1-2', 'run:1', 'complete'))
    // The server then closes the response: the client must not take that as a drop.
    body.end()
    await until(() => client.status.state === 'closed')
    expect(times).toEqual([1])
    expect(ends).toEqual([{ topic: 'run:1', reason: 'complete' }])
    expect(closedWith(statuses)).toBe('ended')
    expect(await pending).toEqual({ topic: 'run:1', reason: 'complete' })
    // Already ended: at once, and the same after the close.
    expect(await client.ended('run:1')).toEqual({ topic: 'run:1', reason: 'complete' })
    expect(client.lastEventId).toBe('e1-2')
    await flush(50)
    expect(fake.seen).toHaveLength(1)
    expect(statuses.filter((s) => s.state === 'reconnecting')).toEqual([])
  })

  it('hands the end to the listeners before the closed status', async () => {
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { client } = open({ topics: ['run:1'] })
    const order: string[] = []
    client.on('tidings:end', () => order.push('end'))
    client.on('tidings:status', (s) => order.push(s.state))
    body.push(end('e1-1', 'run:1', 'cancelled'))
    await until(() => client.status.state === 'closed')
    expect(order).toEqual(['connecting', 'open', 'end', 'closed'])
  })

  it('keeps the other topics open, and leaves the ended one out of later reconnects', async () => {
    const first = sse(HELLO)
    const second = sse(HELLO)
    fake.serve(stream(first), stream(second))
    const { client, ends, statuses } = open({ topics: ['run:1', 'run:2'] })
    first.push(end('e1-1', 'run:1', 'failed') + time('e1-2', 2))
    await until(() => ends.length === 1)
    expect(client.status.state).toBe('open')
    first.end()
    await until(() => fake.seen.length === 2)
    const again = fake.seen[1]?.url
    expect(again?.searchParams.getAll('topic')).toEqual(['run:2'])
    expect(again?.searchParams.get('lastEventId')).toBe('e1-2')
    second.push(end('e1-3', 'run:2', 'complete'))
    await until(() => client.status.state === 'closed')
    expect(ends.map((info) => info.topic)).toEqual(['run:1', 'run:2'])
    expect(closedWith(statuses)).toBe('ended')
  })

  it('drops an end a replay repeats, as any event with an id', async () => {
    const first = sse(HELLO)
    const second = sse(HELLO)
    fake.serve(stream(first), stream(second))
    const { client, ends } = open({ topics: ['run:1', 'run:2'] })
    first.push(end('e1-1', 'run:1', 'complete'))
    await until(() => ends.length === 1)
    first.end()
    await until(() => fake.seen.length === 2)
    // A server that replays from too far back repeats the end: the id says it was processed.
    second.push(end('e1-1', 'run:1', 'complete') + time('e1-2', 2))
    await until(() => client.lastEventId === 'e1-2')
    expect(ends).toHaveLength(1)
  })

  it('resolves ended() with undefined when the client closes before the end, and after', async () => {
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { client } = open({ topics: ['run:1'] })
    const pending = client.ended('run:1')
    await until(() => client.status.state === 'open')
    client.close()
    expect(await pending).toBeUndefined()
    expect(await client.ended('run:1')).toBeUndefined()
  })

  it('stops on HTTP 204 (a resume after the end), with reason no-content: ended() resolves undefined', async () => {
    fake.serve(status(204))
    const { client, statuses, ends } = open({ topics: ['run:1'], lastEventId: 'e1-9' })
    const pending = client.ended('run:1')
    await until(() => client.status.state === 'closed')
    expect(closedWith(statuses)).toBe('no-content')
    expect(await pending).toBeUndefined()
    expect(ends).toEqual([])
    await flush(50)
    expect(fake.seen).toHaveLength(1)
  })

  it('reports an end without a topic and a reason, and goes on', async () => {
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { client, errors, ends, times } = open({ topics: ['run:1'] })
    body.push(ev('e1-1', 'tidings:end', { topic: 7 }) + time('e1-2', 2))
    await until(() => times.length === 1)
    expect(ends).toEqual([])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(ValidationError)
    expect(client.status.state).toBe('open')
  })

  it('treats tidings:end on a stream that is not Tidings as an unknown event', async () => {
    const body = sse('retry:1\n')
    fake.serve(stream(body))
    const debug: DebugInfo[] = []
    const { client, ends, times } = open({ topics: ['run:1'], onDebug: (info) => debug.push(info) })
    body.push(end('x-1', 'run:1', 'complete') + time('x-2', 2))
    await until(() => times.length === 1)
    expect(ends).toEqual([])
    expect(debug.map((info) => info.type)).toEqual(['unknown-event'])
    expect(client.status.state).toBe('open')
  })

  it('emits the end to a client without topics, which stays open (it never held the topic)', async () => {
    const body = sse(HELLO)
    fake.serve(stream(body))
    const { client, ends } = open()
    body.push(end('e1-1', 'run:1', 'complete'))
    await until(() => ends.length === 1)
    expect(client.status.state).toBe('open')
    expect(await client.ended('run:1')).toEqual({ topic: 'run:1', reason: 'complete' })
  })
})

/** A WebSocket the test plays the server of (message, close). */
class FakeSocket implements WebSocketLike {
  static made: FakeSocket[] = []
  binaryType = 'blob'
  readonly listeners = new Map<string, Array<(event: never) => void>>()
  constructor(readonly url: string) {
    FakeSocket.made.push(this)
  }
  addEventListener(type: string, listener: (event: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
  }
  close(): void {
    this.fire('close', { code: 1005, reason: '' })
  }
  fire(type: string, event: object): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event as never)
  }
}

describe('a topic that ends, over WebSocket', () => {
  it('closes with reason ended and opens no second socket', async () => {
    FakeSocket.made = []
    const { client, statuses, ends } = open({
      topics: ['run:1'],
      transport: 'websocket',
      WebSocket: FakeSocket,
    })
    await until(() => FakeSocket.made.length === 1)
    const socket = FakeSocket.made[0] as FakeSocket
    socket.fire('message', { data: `${HELLO}\n${end('e1-1', 'run:1', 'complete')}` })
    await until(() => client.status.state === 'closed')
    expect(ends).toEqual([{ topic: 'run:1', reason: 'complete' }])
    expect(closedWith(statuses)).toBe('ended')
    await flush(50)
    expect(FakeSocket.made).toHaveLength(1)
  })

  it('asks for the topics left on the next socket', async () => {
    FakeSocket.made = []
    const { client, ends } = open({
      topics: ['run:1', 'run:2'],
      transport: 'websocket',
      WebSocket: FakeSocket,
    })
    await until(() => FakeSocket.made.length === 1)
    const first = FakeSocket.made[0] as FakeSocket
    first.fire('message', { data: `${HELLO}\n${end('e1-1', 'run:1', 'complete')}` })
    await until(() => ends.length === 1)
    first.fire('close', { code: 1006, reason: '' })
    await until(() => FakeSocket.made.length === 2)
    const url = new URL((FakeSocket.made[1] as FakeSocket).url)
    expect(url.searchParams.getAll('topic')).toEqual(['run:2'])
    expect(url.searchParams.get('lastEventId')).toBe('e1-1')
    expect(client.status.state).not.toBe('closed')
  })
})
