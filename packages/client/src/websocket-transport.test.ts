import { describe, expect, it } from 'vitest'
import { ConnectionError, ResponseError } from './errors.js'
import type { WebSocketLike } from './options.js'
import type { TransportName, TransportRequest } from './transport.js'
import { createWebSocketTransport } from './websocket-transport.js'

/** A scripted WebSocket: records how it was made, and lets the test play the server. */
class FakeSocket implements WebSocketLike {
  static made: FakeSocket[] = []
  binaryType = 'blob'
  closed = false
  readonly listeners = new Map<string, Array<(event: never) => void>>()
  constructor(
    readonly url: string,
    readonly protocols: string[],
    readonly options?: { headers: Record<string, string> },
  ) {
    FakeSocket.made.push(this)
  }
  addEventListener(type: string, listener: (event: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
  }
  close(): void {
    this.closed = true
  }
  fire(type: string, event: object = {}): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event as never)
  }
  message(data: string | ArrayBuffer): void {
    this.fire('message', { data })
  }
  end(code: number, reason = ''): void {
    this.fire('close', { code, reason })
  }
}

const transport = createWebSocketTransport(FakeSocket)
const decode = (chunk: Uint8Array | string) =>
  typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk)

function open(request: Partial<TransportRequest> = {}) {
  FakeSocket.made = []
  const opened: TransportName[] = []
  const data: string[] = []
  const controller = new AbortController()
  const done = transport.connect(
    {
      url: 'http://127.0.0.1:8080/events?topic=a',
      headers: undefined,
      lastEventId: undefined,
      signal: controller.signal,
      ...request,
    },
    (name) => opened.push(name),
    (chunk) => data.push(decode(chunk)),
  )
  const socket = FakeSocket.made[0] as FakeSocket
  return { done, socket, opened, data, controller }
}

describe('createWebSocketTransport', () => {
  it('opens ws: (wss: for https:) on the same path and query, asking for ArrayBuffers', () => {
    const plain = open()
    expect(plain.socket.url).toBe('ws://127.0.0.1:8080/events?topic=a')
    expect(plain.socket.binaryType).toBe('arraybuffer')
    expect(plain.socket.protocols).toEqual([])
    const secure = open({ url: 'https://example.test/events?lastEventId=e1-4' })
    expect(secure.socket.url).toBe('wss://example.test/events?lastEventId=e1-4')
  })

  it('puts a resume position the query lacks into lastEventId, and hands headers to the constructor', () => {
    const { socket } = open({ lastEventId: 'order 7', headers: { authorization: 'Bearer x' } })
    expect(new URL(socket.url).searchParams.get('lastEventId')).toBe('order 7')
    expect(socket.options).toEqual({ headers: { authorization: 'Bearer x' } })
  })

  it('opens at the first message, feeds binary and text messages as bytes, and ends on a close', async () => {
    const { done, socket, opened, data } = open()
    socket.fire('open')
    expect(opened).toEqual([])
    socket.message(new TextEncoder().encode(': tidings heartbeat=15000\n\n').buffer as ArrayBuffer)
    socket.message('id:e1-1\ndata:1\n\n')
    expect(opened).toEqual(['websocket'])
    expect(data).toEqual([': tidings heartbeat=15000\n\n', 'id:e1-1\ndata:1\n\n'])
    socket.end(1012)
    await expect(done).resolves.toBe(true)
  })

  it('turns 4000 + status into a ResponseError with that status, and reads retry from 4503', async () => {
    const forbidden = open()
    forbidden.socket.end(4403, 'forbidden')
    const error = await forbidden.done.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ResponseError)
    expect(error).toMatchObject({ code: 'http_status', status: 403, retryAfterMs: undefined })
    const busy = open()
    busy.socket.end(4503, 'unavailable;retry=2500')
    await expect(busy.done).rejects.toMatchObject({ status: 503, retryAfterMs: 2500 })
    expect(forbidden.opened).toEqual([])
  })

  it('stops on 4204, and fails with a network error on a close before any message', async () => {
    const stop = open()
    stop.socket.end(4204)
    await expect(stop.done).resolves.toBe(false)
    const lost = open()
    lost.socket.fire('error')
    lost.socket.end(1006)
    const error = await lost.done.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error).toMatchObject({ code: 'network' })
  })

  it('ends the stream (reconnect) on 1013 and any other close after a message', async () => {
    for (const code of [1000, 1001, 1006, 1011, 1013]) {
      const { done, socket } = open()
      socket.message('data:x\n\n')
      socket.end(code)
      await expect(done).resolves.toBe(true)
    }
  })

  it('closes the socket when the signal aborts, and rejects with the reason', async () => {
    const { done, socket, controller, data } = open()
    const reason = new ConnectionError('idle_timeout', 'silent')
    controller.abort(reason)
    expect(socket.closed).toBe(true)
    await expect(done).rejects.toBe(reason)
    socket.message('data:late\n\n')
    expect(data).toEqual([])
  })

  it('fails a URL it cannot open as a network error', async () => {
    FakeSocket.made = []
    const error = await transport
      .connect(
        {
          url: 'http://[bad',
          headers: undefined,
          lastEventId: undefined,
          signal: AbortSignal.any([]),
        },
        () => {},
        () => {},
      )
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'ConnectionError', code: 'network' })
    expect(FakeSocket.made).toEqual([])
  })
})
