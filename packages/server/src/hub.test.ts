import { describe, expect, it } from 'vitest'
import { Connection } from './connection.js'
import type { HistoryEntry } from './history.js'
import { Hub } from './hub.js'

/** A transport that records what it is sent; `held` plays the unread bytes. */
class Recorder extends Connection {
  readonly chunks: Uint8Array[] = []
  held = 0
  aborted: string | undefined
  get heldBytes(): number {
    return this.held
  }
  write(chunk: Uint8Array): boolean {
    this.chunks.push(chunk)
    return true
  }
  end(): void {
    this.hub.remove(this, 'server')
  }
  abort(reason: string): void {
    this.aborted = reason
  }
  text(): string {
    return this.chunks.map((c) => new TextDecoder().decode(c)).join('|')
  }
}

class Thrower extends Recorder {
  override write(): boolean {
    throw new Error('socket exploded')
  }
}

const entry = (seq: number, topics?: string[], size = 0): HistoryEntry => ({
  seq,
  id: `e-${seq}`,
  topics,
  chunk: new TextEncoder().encode(size > 0 ? `${seq}`.padEnd(size, '.') : `${seq}`),
  at: performance.timeOrigin + performance.now(),
})

function setup(maxBufferBytes = 1024) {
  const gone: string[] = []
  const failures: unknown[] = []
  const hub = new Hub(maxBufferBytes, {
    disconnected: (_c, reason) => gone.push(reason),
    finished: () => false,
    failed: (_c, error) => failures.push(error),
  })
  let id = 0
  const connect = (topics: string[], Kind: typeof Recorder = Recorder, live = true) => {
    const connection = new Kind(hub, ++id, undefined, hub.group(topics), 'sse')
    hub.attach(connection)
    if (live) hub.goLive(connection)
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

  it('shares one joined buffer between groups that receive exactly the same events', async () => {
    const { hub, connect } = setup()
    // Per-user topics: every group holds `team`, each its own user topic.
    const users = Array.from({ length: 20 }, (_, n) => connect(['team', `user:${n}`]))
    hub.publish(entry(1, ['team']))
    hub.publish(entry(2, ['team']))
    hub.publish(entry(3, ['user:7']))
    await nextTurn()
    const shared = users[0]!.chunks[0]
    for (const [n, user] of users.entries()) {
      expect(user.text()).toBe(n === 7 ? '123' : '12')
      if (n !== 7) expect(user.chunks[0]).toBe(shared)
    }
  })

  it('past the join budget, writes the shared event buffers one after the other, never copies', async () => {
    const { hub, connect } = setup(64 * 1024 * 1024)
    const users = Array.from({ length: 5 }, (_, n) => connect(['team', `user:${n}`]))
    const burst = Array.from({ length: 12 }, (_, i) => entry(i + 1, ['team'], 100_000))
    for (const e of burst) hub.publish(e)
    hub.publish(entry(13, ['user:2']))
    await nextTurn()
    for (const [n, user] of users.entries()) {
      expect(user.chunks.length).toBe(n === 2 ? 13 : 12)
      // The very buffers of the entries: 1.2 MB held once, whatever the number of groups.
      for (let i = 0; i < 12; i++) expect(user.chunks[i]).toBe(burst[i]!.chunk)
    }
  })

  it('reaches a targeted group through the topic index, once even with several matching topics', async () => {
    const { hub, connect } = setup()
    const others = Array.from({ length: 50 }, (_, n) => connect([`user:${n}`]))
    const both = connect(['x', 'y'])
    hub.publish(entry(1, ['x', 'y']))
    hub.publish(entry(2, ['user:3']))
    await nextTurn()
    expect(both.text()).toBe('1')
    expect(others[3]!.text()).toBe('2')
    expect(others.filter((c) => c.chunks.length > 0)).toHaveLength(1)
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

  it('sends nothing live to a connection still starting (its replay reads the history)', async () => {
    const { hub, connect } = setup()
    const starting = connect([], Recorder, false)
    hub.publish(entry(1))
    await nextTurn()
    expect(starting.chunks).toHaveLength(0)
    hub.goLive(starting)
    hub.publish(entry(2))
    await nextTurn()
    expect(starting.text()).toBe('2')
  })

  it('cuts off a connection that holds more than maxBufferBytes unread, and counts it', async () => {
    const { hub, connect, gone } = setup(100)
    const slow = connect([])
    const fast = connect([])
    slow.held = 101
    hub.publish(entry(1))
    hub.publish(entry(2))
    await nextTurn()
    expect(slow.chunks).toHaveLength(0)
    expect(slow.aborted).toBe('slow')
    expect(gone).toEqual(['slow'])
    expect(hub.counters).toMatchObject({ slowConsumers: 1, eventsDropped: 2 })
    expect(fast.text()).toBe('12')
  })

  it('heartbeats only the streams that hold nothing unread, and never cuts one off for it', () => {
    const { hub, connect } = setup(1)
    const idle = connect([])
    const busy = connect([], Recorder, false)
    busy.held = 10
    hub.heartbeat(new TextEncoder().encode(':\n'))
    expect(idle.text()).toBe(':\n')
    expect(busy.chunks).toHaveLength(0)
    expect(busy.closed).toBe(false)
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

  it('records the emit-to-write latency of every event once, not once per connection', async () => {
    const { hub, connect } = setup()
    for (let i = 0; i < 5; i++) connect([])
    hub.publish(entry(1))
    hub.publish(entry(2))
    await nextTurn()
    expect(hub.counters.emitToWrite.count).toBe(2)
    expect(hub.counters.emitToWrite.counts.reduce((a, b) => a + b)).toBe(2)
  })
})
