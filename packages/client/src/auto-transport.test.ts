import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAutoTransport } from './auto-transport.js'
import { ConnectionError, ResponseError } from './errors.js'
import type { DebugInfo } from './options.js'
import type { Transport, TransportName, TransportRequest } from './transport.js'

type Script = (
  request: TransportRequest,
  onOpen: (name: TransportName) => void,
  onData: (chunk: string) => void,
) => Promise<boolean>

/** A transport that plays one script per connect, recording each request. */
function scripted(...scripts: Script[]) {
  const requests: TransportRequest[] = []
  const transport: Transport = {
    connect(request, onOpen, onData) {
      requests.push(request)
      const script = scripts.shift()
      if (!script) throw new Error('no script left')
      return script(request, onOpen, onData)
    },
  }
  return { transport, requests }
}

const networkError = () => new ConnectionError('network', 'unreachable')
const fails: Script = async () => {
  throw networkError()
}
// Opens at once (headers), then sends nothing until aborted: what a buffering proxy looks like.
const silent: Script = (request, onOpen) => {
  onOpen('sse')
  return new Promise((resolve) => request.signal.addEventListener('abort', () => resolve(true)))
}
const talks =
  (name: TransportName): Script =>
  async (_request, onOpen, onData) => {
    onOpen(name)
    onData(': tidings heartbeat=15000\n\n')
    return true
  }

function run(auto: Transport, signal = new AbortController().signal) {
  const opened: TransportName[] = []
  const data: string[] = []
  const done = auto.connect(
    { url: 'http://x/events', headers: undefined, lastEventId: undefined, signal },
    (name) => opened.push(name),
    (chunk) => data.push(String(chunk)),
  )
  return { done, opened, data }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('createAutoTransport', () => {
  it('keeps SSE for good once it delivered bytes, and opens only then', async () => {
    const sse = scripted(talks('sse'), fails)
    const ws = scripted()
    const debug: DebugInfo[] = []
    const auto = createAutoTransport(sse.transport, ws.transport, (d) => debug.push(d))
    const first = run(auto)
    await expect(first.done).resolves.toBe(true)
    expect(first.opened).toEqual(['sse'])
    // Later network failures are reconnected over SSE: the choice holds.
    await expect(run(auto).done).rejects.toBeInstanceOf(ConnectionError)
    expect([sse.requests.length, ws.requests.length, debug]).toEqual([2, 0, []])
  })

  it('falls back to WebSocket in the same attempt when SSE cannot connect, then keeps it', async () => {
    const sse = scripted(fails)
    const ws = scripted(talks('websocket'), talks('websocket'))
    const debug: DebugInfo[] = []
    const auto = createAutoTransport(sse.transport, ws.transport, (d) => debug.push(d))
    const first = run(auto)
    await expect(first.done).resolves.toBe(true)
    expect(first.opened).toEqual(['websocket'])
    await run(auto).done
    expect([sse.requests.length, ws.requests.length]).toEqual([1, 2])
    expect(debug).toEqual([{ type: 'transport', transport: 'websocket', reason: 'sse-failed' }])
  })

  it('falls back when SSE sends no byte within the deadline (a buffering proxy)', async () => {
    vi.useFakeTimers()
    const sse = scripted(silent)
    const ws = scripted(talks('websocket'))
    const debug: DebugInfo[] = []
    const auto = createAutoTransport(sse.transport, ws.transport, (d) => debug.push(d), 3000)
    const { done, opened } = run(auto)
    await vi.advanceTimersByTimeAsync(2999)
    expect(ws.requests).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    await expect(done).resolves.toBe(true)
    // The silent SSE never showed as open.
    expect(opened).toEqual(['websocket'])
    expect(sse.requests[0]?.signal.aborted).toBe(true)
    expect(debug).toEqual([{ type: 'transport', transport: 'websocket', reason: 'sse-silent' }])
  })

  it('does not fall back on a refusal: the server answered', async () => {
    const refused = new ResponseError('http_status', 401, 'unauthorized')
    const sse = scripted(async () => {
      throw refused
    })
    const ws = scripted()
    const auto = createAutoTransport(sse.transport, ws.transport, () => {})
    await expect(run(auto).done).rejects.toBe(refused)
    expect(ws.requests).toHaveLength(0)
  })

  it('keeps SSE when WebSocket cannot connect after a silent SSE (a quiet server)', async () => {
    vi.useFakeTimers()
    const sse = scripted(silent, talks('sse'))
    const ws = scripted(fails)
    const debug: DebugInfo[] = []
    const auto = createAutoTransport(sse.transport, ws.transport, (d) => debug.push(d), 100)
    const first = run(auto)
    const failed = expect(first.done).rejects.toBeInstanceOf(ConnectionError)
    await vi.advanceTimersByTimeAsync(100)
    await failed
    const second = run(auto)
    await expect(second.done).resolves.toBe(true)
    // Kept: plain SSE, which opens at its headers, with no deadline.
    expect(second.opened).toEqual(['sse'])
    expect(ws.requests).toHaveLength(1)
    expect(debug.at(-1)).toEqual({
      type: 'transport',
      transport: 'sse',
      reason: 'websocket-failed',
    })
  })

  it('stays undecided when both fail on the network, trying SSE first next time', async () => {
    const sse = scripted(fails, talks('sse'))
    const ws = scripted(fails)
    const auto = createAutoTransport(sse.transport, ws.transport, () => {})
    await expect(run(auto).done).rejects.toBeInstanceOf(ConnectionError)
    expect((await Promise.all([run(auto).done]))[0]).toBe(true)
    expect([sse.requests.length, ws.requests.length]).toEqual([2, 1])
  })

  it('passes an abort through without falling back', async () => {
    const sse = scripted(silent)
    const ws = scripted()
    const auto = createAutoTransport(sse.transport, ws.transport, () => {})
    const controller = new AbortController()
    const { done } = run(auto, controller.signal)
    controller.abort(new ConnectionError('connect_timeout', 'slow'))
    await expect(done).resolves.toBe(true)
    expect(ws.requests).toHaveLength(0)
    expect(sse.requests[0]?.signal.aborted).toBe(true)
  })
})
