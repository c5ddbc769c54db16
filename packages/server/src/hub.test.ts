import { describe, expect, it } from 'vitest'
import { Connection } from './connection.js'
import type { HistoryEntry } from './history.js'
import { Hub } from './hub.js'

/** A transport that records what it is sent. */
class Recorder extends Connection {
  readonly chunks: Uint8Array[] = []
  send(chunk: Uint8Array): void {
    this.chunks.push(chunk)
  }
  end(): void {
    this.hub.remove(this, 'server')
  }
  destroy(): void {
    this.hub.remove(this, 'error')
  }
  text(): string {
    return this.chunks.map((c) => new TextDecoder().decode(c)).join('|')
  }
}

class Thrower extends Recorder {
  override send(): void {
    throw new Error('socket exploded')
  }
}

const entry = (seq: number, topics?: string[]): HistoryEntry => ({
  seq,
  id: `e-${seq}`,
  topics,
  chunk: new TextEncoder().encode(`${seq}`),
})

function setup() {
  const gone: string[] = []
  const failures: unknown[] = []
  const hub = new Hub(1024, {
    disconnected: (_c, reason) => gone.push(reason),
    failed: (_c, error) => failures.push(error),
  })
  let id = 0
  const connect = (topics: string[], Kind: typeof Recorder = Recorder) => {
    const connection = new Kind(hub, ++id, undefined, hub.group(topics))
    hub.add(connection)
    return connection
  }
  return { hub, connect, gone, failures }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

describe('Hub', () => {
  it('coalesces the events of a tick into one write per connection, filtered by topic', async () => {
    const { hub, connect } = setup()
    const a = connect(['a'])
    const a2 = connect(['a'])
    const b = connect(['b'])
    const none = connect([])
    hub.publish(entry(1))
    hub.publish(entry(2, ['a']))
    hub.publish(entry(3, ['b', 'a']))
    await nextTurn()
    expect(a.text()).toBe('123')
    expect(b.text()).toBe('13')
    expect(none.text()).toBe('1')
    // Connections with the same topics share the very same buffer.
    expect(a.chunks[0]).toBe(a2.chunks[0])
  })

  it('coalesces events published from separate callbacks of one event-loop turn', async () => {
    const { hub, connect } = setup()
    const a = connect([])
    hub.publish(entry(1))
    await Promise.resolve()
    hub.publish(entry(2))
    await new Promise<void>((resolve) => queueMicrotask(resolve))
    hub.publish(entry(3))
    expect(a.chunks).toHaveLength(0)
    await nextTurn()
    expect(a.chunks).toHaveLength(1)
    expect(a.text()).toBe('123')
  })

  it('hands a lone event over without copying it', async () => {
    const { hub, connect } = setup()
    const a = connect([])
    const e = entry(1)
    hub.publish(e)
    await nextTurn()
    expect(a.chunks[0]).toBe(e.chunk)
  })

  it('keeps one group per distinct topic set and drops it with its last member', () => {
    const { hub, connect } = setup()
    const x = connect(['b', 'a'])
    const y = connect(['a', 'b'])
    expect(x.group).toBe(y.group)
    expect(x.group.list).toEqual(['a', 'b'])
    hub.remove(x, 'client')
    hub.remove(x, 'client')
    expect(hub.size).toBe(1)
    hub.remove(y, 'client')
    expect(hub.size).toBe(0)
    expect(hub.connections()).toEqual([])
    expect(connect(['a', 'b']).group).not.toBe(x.group)
  })

  it('isolates a transport that throws: it is torn down, the others still get the event', async () => {
    const { hub, connect, gone, failures } = setup()
    const bad = connect([], Thrower)
    const good = connect([])
    hub.publish(entry(1))
    await nextTurn()
    expect(good.text()).toBe('1')
    expect(bad.closed).toBe(true)
    expect(gone).toEqual(['error'])
    expect(failures).toHaveLength(1)
    expect(hub.size).toBe(1)
  })
})
