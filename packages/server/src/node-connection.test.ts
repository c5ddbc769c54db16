import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { Hub } from './hub.js'
import { NodeConnection, type NodeResponse } from './node-connection.js'

/** A response whose socket accepts `capacity` writes, then needs a `drain`. */
class FakeResponse extends EventEmitter {
  written: string[] = []
  capacity = Number.POSITIVE_INFINITY
  destroyed = false
  writableEnded = false
  headersSent = true
  socket = { destroyed: false }
  write(chunk: Uint8Array): boolean {
    this.written.push(new TextDecoder().decode(chunk))
    return --this.capacity > 0
  }
  writeHead(): this {
    return this
  }
  end(): void {
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
  hub.add(connection)
  return { hub, res, connection, reasons }
}

describe('NodeConnection', () => {
  it('queues while the socket is full and hands the queue over in one write on drain, in order', () => {
    const { res, connection } = setup()
    res.capacity = 1
    connection.send(bytes('a'), 1)
    expect(connection.backlogged).toBe(true)
    connection.send(bytes('b'), 1)
    connection.send(bytes('c'), 1)
    expect(res.written).toEqual(['a'])
    res.capacity = Number.POSITIVE_INFINITY
    res.emit('drain')
    expect(res.written).toEqual(['a', 'bc'])
    expect(connection.backlogged).toBe(false)
    connection.send(bytes('d'), 1)
    expect(res.written).toEqual(['a', 'bc', 'd'])
  })

  it('cuts the connection off past maxBufferBytes and counts the dropped events', () => {
    const { hub, res, connection, reasons } = setup(10)
    res.capacity = 1
    connection.send(bytes('first'), 1)
    connection.send(bytes('12345'), 2)
    expect(res.destroyed).toBe(false)
    connection.send(bytes('123456'), 3)
    expect(res.destroyed).toBe(true)
    expect(reasons).toEqual(['slow'])
    expect(hub.counters).toMatchObject({ slowConsumers: 1, eventsDropped: 5 })
    connection.send(bytes('late'), 1)
    expect(res.written).toEqual(['first'])
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

  it('destroys instead of ending when it is still waiting to drain', () => {
    const { res, connection } = setup()
    res.capacity = 1
    connection.send(bytes('a'), 1)
    connection.end(bytes('retry:1\n\n'))
    expect(res.destroyed).toBe(true)
    expect(res.written).toEqual(['a'])
  })
})
