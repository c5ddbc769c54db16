import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { Hub } from './hub.js'
import { NodeConnection, type NodeResponse } from './node-connection.js'

/** A response whose socket takes `capacity` bytes, then buffers them until `flushSocket`. */
class FakeResponse extends EventEmitter {
  written: string[] = []
  capacity = Number.POSITIVE_INFINITY
  writableLength = 0
  destroyed = false
  writableEnded = false
  headersSent = true
  socket = { destroyed: false }
  write(chunk: Uint8Array): boolean {
    this.written.push(new TextDecoder().decode(chunk))
    const taken = Math.min(this.capacity, chunk.byteLength)
    this.capacity -= taken
    this.writableLength += chunk.byteLength - taken
    return this.writableLength === 0
  }
  flushSocket(): void {
    this.writableLength = 0
    this.capacity = Number.POSITIVE_INFINITY
    this.emit('drain')
  }
  writeHead(): this {
    return this
  }
  end(chunk?: Uint8Array): void {
    if (chunk) this.written.push(new TextDecoder().decode(chunk))
    this.writableEnded = true
  }
  destroy(): void {
    this.destroyed = true
  }
}

const bytes = (text: string) => new TextEncoder().encode(text)

function setup(maxBufferBytes = 10) {
  const reasons: string[] = []
  const hub = new Hub(maxBufferBytes, {
    disconnected: (_c, reason) => reasons.push(reason),
    finished: () => false,
    failed: () => {},
  })
  const res = new FakeResponse()
  const connection = new NodeConnection(
    hub,
    1,
    undefined,
    hub.group([]),
    res as unknown as NodeResponse,
  )
  hub.attach(connection)
  hub.goLive(connection)
  return { hub, res, connection, reasons }
}

describe('NodeConnection', () => {
  it('counts what the response buffers, including bytes it took while it still accepted', () => {
    const { res, connection } = setup(10)
    res.capacity = 0
    connection.send(bytes('0123456789'), 1)
    // Accepted by the transport, not taken by the peer: it counts.
    expect(connection.heldBytes).toBe(10)
    connection.send(bytes('a'), 1)
    expect(connection.closed).toBe(false)
    expect(connection.heldBytes).toBe(11)
  })

  it('cuts the connection off once it holds more than maxBufferBytes, and counts the dropped events', () => {
    const { hub, res, connection, reasons } = setup(10)
    res.capacity = 0
    connection.send(bytes('first'), 1)
    connection.send(bytes('123456'), 2)
    expect(res.destroyed).toBe(false)
    connection.send(bytes('late'), 3)
    expect(res.destroyed).toBe(true)
    expect(reasons).toEqual(['slow'])
    expect(hub.counters).toMatchObject({ slowConsumers: 1, eventsDropped: 3 })
    connection.send(bytes('later'), 1)
    expect(res.written).toEqual(['first', '123456'])
  })

  it('tells a waiting replay when the response drains', () => {
    const { res, connection } = setup()
    let runs = 0
    connection.starting = { run: () => runs++ } as unknown as typeof connection.starting
    res.flushSocket()
    expect(runs).toBe(1)
  })

  it('leaves the hub when the response closes, and ends cleanly with a last chunk', () => {
    const a = setup()
    a.res.emit('close')
    expect(a.reasons).toEqual(['client'])
    expect(a.hub.size).toBe(0)

    const b = setup()
    b.connection.end(bytes('retry:1\n\n'))
    expect(b.res.written).toEqual(['retry:1\n\n'])
    expect(b.res.writableEnded).toBe(true)
    expect(b.reasons).toEqual(['server'])
  })

  it('destroys instead of ending when it still holds more than its bound', () => {
    const { res, connection } = setup(4)
    res.capacity = 0
    connection.send(bytes('abcdef'), 1)
    connection.end(bytes('retry:1\n\n'))
    expect(res.destroyed).toBe(true)
    expect(res.written).toEqual(['abcdef'])
  })
})
