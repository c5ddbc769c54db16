import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest'
import { createFakeServer, events, sse, stream, URL_, until } from '../test/support.js'
import { type Client, type ClientStatus, createClient, type GapInfo } from './index.js'
import { shareTabs } from './share.js'

const fake = createFakeServer()
beforeAll(() => fake.listen())
// Every tab is closed after its test, passed or not: one left running would take
// the next test's streams from the fake server.
const tabs: Client<typeof events>[] = []
afterEach(() => {
  for (const client of tabs.splice(0)) client.close()
  fake.reset()
  vi.unstubAllGlobals()
})
afterAll(() => fake.server.close())

const HELLO = ': tidings heartbeat=15000\nretry:1\n\n'
const ev = (id: string, name: string, data: unknown, topics?: string) =>
  `${topics ? `: topics ${topics}\n` : ''}id:${id}\nevent:${name}\ndata:${JSON.stringify(data)}\n\n`
const gap = (head: string, from: string) =>
  `id:${head}\nevent:tidings:gap\ndata:${JSON.stringify({ reason: 'expired', lastEventId: from })}\n\n`

/**
 * The Web Locks API for one lock name, in one process: requests granted in order;
 * a steal takes the lock at once and rejects the holder's request.
 */
function fakeLocks() {
  type Waiter = {
    granted: () => Promise<void>
    done: (value: unknown) => void
    fail: (error: unknown) => void
  }
  const queue: Waiter[] = []
  let holder: Waiter | undefined
  const grant = (waiter: Waiter): void => {
    holder = waiter
    void waiter.granted().finally(() => {
      waiter.done(undefined)
      if (holder !== waiter) return
      holder = undefined
      const next = queue.shift()
      if (next) grant(next)
    })
  }
  return {
    request(
      _name: string,
      options: { signal: AbortSignal } | { steal: true },
      granted: () => Promise<void>,
    ) {
      return new Promise((done, fail) => {
        const waiter = { granted, done, fail }
        if ('steal' in options) {
          holder?.fail(new DOMException('The lock was stolen', 'AbortError'))
          grant(waiter)
          return
        }
        options.signal.addEventListener('abort', () => {
          const index = queue.indexOf(waiter)
          if (index >= 0) {
            queue.splice(index, 1)
            fail(options.signal.reason)
          }
        })
        if (holder) queue.push(waiter)
        else grant(waiter)
      })
    },
  }
}

const NodeBroadcastChannel = globalThis.BroadcastChannel

/**
 * A BroadcastChannel whose tab can hang: while `hung`, nothing it posts leaves and
 * nothing reaches it; both wait, in order, until it runs again (as a page's tasks do).
 */
class HangingChannel {
  static readonly all: HangingChannel[] = []
  onmessage: ((event: { readonly data: unknown }) => void) | null = null
  readonly #inner: BroadcastChannel
  #hung = false
  readonly #held: Array<() => void> = []
  constructor(name: string) {
    this.#inner = new NodeBroadcastChannel(name)
    this.#inner.onmessage = (event: MessageEvent) => this.#run(() => this.onmessage?.(event))
    HangingChannel.all.push(this)
  }
  #run(task: () => void): void {
    if (this.#hung) this.#held.push(task)
    else task()
  }
  postMessage(message: unknown): void {
    this.#run(() => this.#inner.postMessage(message))
  }
  close(): void {
    this.#inner.close()
  }
  hang(hung: boolean): void {
    this.#hung = hung
    if (!hung) for (const task of this.#held.splice(0)) task()
  }
}

/** A tab: a client with what it receives recorded. */
function tab(topics: string[], lastEventId?: string, idleTimeoutMs?: number) {
  const client: Client<typeof events> = createClient(events, URL_, {
    topics,
    lastEventId,
    idleTimeoutMs,
    share: shareTabs({ name: `test-${name}` }),
  })
  tabs.push(client)
  const got: string[] = []
  const statuses: ClientStatus[] = []
  const gaps: GapInfo[] = []
  client.on('server-time', ({ time }, { id }) => got.push(`time ${time} ${id}`))
  client.on('chat:message', ({ text }, { id }) => got.push(`chat ${text} ${id}`))
  client.on('tidings:status', (status) => statuses.push(status))
  client.on('tidings:gap', (info) => gaps.push(info))
  return { client, got, statuses, gaps }
}
let name = 0

const query = (index: number) => {
  const url = fake.seen[index]!.url
  return {
    topics: url.searchParams.getAll('topic').sort(),
    lastEventId: url.searchParams.get('lastEventId'),
    eventTopics: url.searchParams.get('eventTopics'),
  }
}

// Several tabs, a roll call and a watchdog per test: more than the default 5 s on a loaded machine.
describe('shareTabs', { timeout: 30_000 }, () => {
  it('falls back to one connection per client where there are no Web Locks (Node 20)', async () => {
    const body = sse(HELLO, ev('ep-1', 'chat:message', { user: 'u', text: 'hi' }))
    fake.serve(stream(body))
    const one = tab(['a'])
    await until(() => one.got.length === 1, 'the event')
    expect(one.got).toEqual(['chat hi ep-1'])
    expect(query(0)).toEqual({ topics: ['a'], lastEventId: null, eventTopics: null })
    one.client.close()
  })

  describe('with Web Locks and BroadcastChannel', () => {
    it('reads the union of the tabs topics on one connection; each tab gets its own; a new leader resumes', async () => {
      name++
      vi.stubGlobal('navigator', { locks: fakeLocks() })
      const first = sse(HELLO, 'id:ep-0\n\n')
      const second = sse(HELLO)
      const third = sse(HELLO)
      fake.serve(stream(first), stream(second), stream(third))
      const a = tab(['a'])
      await until(() => a.client.status.state === 'open', 'A open')
      expect(query(0)).toEqual({ topics: ['a'], lastEventId: null, eventTopics: '1' })

      const b = tab(['b'])
      // B's topics join the union: the leader reconnects from where it was.
      await until(() => fake.seen.length === 2, 'the second connection')
      expect(query(1)).toEqual({ topics: ['a', 'b'], lastEventId: 'ep-0', eventTopics: '1' })
      await until(() => fake.seen[0]!.signal.aborted, 'the first connection closed')
      second.push(
        ev('ep-1', 'server-time', { time: 1 }, 'a') +
          ev('ep-2', 'chat:message', { user: 'u', text: 'to b' }, 'b') +
          ev('ep-3', 'chat:message', { user: 'u', text: 'to a and b' }, 'a,b') +
          ev('ep-4', 'server-time', { time: 4 }),
      )
      await until(() => b.got.length === 3 && a.got.length === 3, 'the events')
      expect(a.got).toEqual(['time 1 ep-1', 'chat to a and b ep-3', 'time 4 ep-4'])
      expect(b.got).toEqual(['chat to b ep-2', 'chat to a and b ep-3', 'time 4 ep-4'])
      expect(b.client.status).toEqual({ state: 'open', transport: 'sse' })
      expect(fake.seen).toHaveLength(2)

      // The leader leaves: B takes over from the last id, on its own topics only.
      a.client.close()
      expect(a.client.status).toEqual({ state: 'closed', reason: 'close' })
      await until(() => fake.seen.length === 3, 'the new leader connection')
      expect(query(2)).toEqual({ topics: ['b'], lastEventId: 'ep-4', eventTopics: '1' })
      third.push(gap('ep-9', 'ep-4') + ev('ep-10', 'chat:message', { user: 'u', text: 'x' }, 'b'))
      await until(() => b.got.length === 4, 'the event after the takeover')
      expect(b.gaps).toEqual([{ reason: 'expired', lastEventId: 'ep-4' }])
      // Every tab follows the shared connection: its reconnection for the new union, then the takeover.
      expect(b.statuses.map((s) => s.state)).toEqual([
        'connecting',
        'open',
        'reconnecting',
        'open',
        'reconnecting',
        'open',
      ])
      expect(a.got).toHaveLength(3)
      b.client.close()
    })

    it('a tab that joined after the last event is owed the events from there when the leader leaves before reading them', async () => {
      name++
      vi.stubGlobal('navigator', { locks: fakeLocks() })
      const first = sse(HELLO, 'id:ep-0\n\n')
      const second = sse(HELLO)
      fake.serve(stream(first), stream(second))
      const a = tab(['a'])
      await until(() => a.client.status.state === 'open', 'A open')
      // B joins when the stream is at ep-0 and no event has come since.
      const b = tab(['a'])
      await until(() => b.client.status.state === 'open', 'B open')
      // ep-1 is emitted, but A leaves (closes, freezes) before reading it.
      a.client.close()
      await until(() => fake.seen.length === 2, 'the new leader connection')
      expect(query(1)).toEqual({ topics: ['a'], lastEventId: 'ep-0', eventTopics: '1' })
      second.push(ev('ep-1', 'server-time', { time: 1 }, 'a'))
      await until(() => b.got.length === 1, 'the event A did not read')
      expect(b.got).toEqual(['time 1 ep-1'])
    })

    it('goes back for a tab that is behind; a gap there reaches that tab only, and the stream goes on', async () => {
      name++
      vi.stubGlobal('navigator', { locks: fakeLocks() })
      const first = sse(HELLO, ev('ep-5', 'server-time', { time: 5 }))
      const rewound = sse(HELLO)
      const resumed = sse(HELLO)
      fake.serve(stream(first), stream(rewound), stream(resumed))
      const ahead = tab([])
      await until(() => ahead.got.length === 1, 'the first event')
      const behind = tab([], 'ep-2')
      await until(() => fake.seen.length === 2, 'the rewind')
      expect(query(1).lastEventId).toBe('ep-2')
      rewound.push(gap('ep-7', 'ep-2'))
      // Back to where the other tab was, which lost nothing.
      await until(() => fake.seen.length === 3, 'the resume')
      expect(query(2).lastEventId).toBe('ep-5')
      resumed.push(ev('ep-6', 'server-time', { time: 6 }) + ev('ep-8', 'server-time', { time: 8 }))
      await until(() => ahead.got.length === 3 && behind.got.length === 1, 'the events')
      expect(ahead.gaps).toEqual([])
      expect(ahead.got).toEqual(['time 5 ep-5', 'time 6 ep-6', 'time 8 ep-8'])
      expect(behind.gaps).toEqual([{ reason: 'expired', lastEventId: 'ep-2' }])
      // Behind the gap's head (ep-7), ep-6 is a duplicate for this tab; ep-8 is new.
      expect(behind.got).toEqual(['time 8 ep-8'])
      ahead.client.close()
      behind.client.close()
    })

    it('takes the lead from a leader that is not heard (hung, or frozen without an event)', async () => {
      name++
      vi.stubGlobal('navigator', { locks: fakeLocks() })
      vi.stubGlobal('BroadcastChannel', HangingChannel)
      HangingChannel.all.length = 0
      const first = sse(HELLO, 'id:ep-0\n\n')
      const second = sse(HELLO)
      // Both streams stay alive (heartbeats), so that no leader's own idle timeout fires.
      const heartbeats = setInterval(() => {
        for (const open of [first, second]) {
          try {
            open.push(':\n')
          } catch {
            // That stream was closed by its reader: nothing to keep alive.
          }
        }
      }, 50)
      onTestFinished(() => clearInterval(heartbeats))
      fake.serve(stream(first), stream(second))
      // The idle timeout (the leader's stream must be heard within it) sets the patience;
      // long enough that a loaded machine's stalls do not make a leader's own stream time out.
      const a = tab(['a'], undefined, 600)
      await until(() => a.client.status.state === 'open', 'A open')
      const b = tab(['a'], undefined, 600)
      await until(() => b.client.status.state === 'open', 'B open')
      first.push(ev('ep-1', 'server-time', { time: 1 }, 'a'))
      await until(() => a.got.length === 1 && b.got.length === 1, 'the first event')
      // A's stream stays alive, but A relays nothing while it hangs.
      HangingChannel.all[0]!.hang(true)
      first.push(ev('ep-2', 'server-time', { time: 2 }, 'a'))
      // B hears nothing, takes the lock, finds A silent and resumes from its own position.
      await until(() => fake.seen.length === 2, 'the connection of the new leader')
      expect(query(1)).toEqual({ topics: ['a'], lastEventId: 'ep-1', eventTopics: '1' })
      // The lock's steal tells A at once, though its channel still hangs: one connection.
      await until(() => fake.seen[0]!.signal.aborted, 'the stolen leader closed its stream')
      second.push(
        ev('ep-2', 'server-time', { time: 2 }, 'a') + ev('ep-3', 'server-time', { time: 3 }, 'a'),
      )
      await until(() => b.got.length === 3, 'the events after the steal')
      // A's channel runs again: it hears the new term and follows.
      HangingChannel.all[0]!.hang(false)
      second.push(ev('ep-4', 'server-time', { time: 4 }, 'a'))
      await until(() => a.got.length === 4 && b.got.length === 4, 'the last event')
      const all = ['time 1 ep-1', 'time 2 ep-2', 'time 3 ep-3', 'time 4 ep-4']
      expect(a.got).toEqual(all)
      expect(b.got).toEqual(all)
      expect(fake.seen).toHaveLength(2)
      a.client.close()
      b.client.close()
    })
  })
})
