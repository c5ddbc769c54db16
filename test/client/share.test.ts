import { defineEvents } from '@tidings/schema'
import { createEmitter, type Emitter } from '@tidings/server'
import type { Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { bundleForBrowser, launchChromium } from '../support/chromium.js'
import { type Served, serveNode, TRANSPORTS } from './support.js'

type TabState = {
  received: Array<{ n: number; to: string; id: string | undefined }>
  statuses: string[]
  errors: string[]
  gaps: string[]
  terms: number[]
}
declare const tidings: TabState
declare const client: { close(): void }

// The contract of fixtures/share-app.ts, not imported from it: importing the fixture
// would start a client in this process.
const events = defineEvents({ tick: z.object({ n: z.number(), to: z.string() }) })
type Events = typeof events

const WAIT = { timeout: 30_000 }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.each(TRANSPORTS)(
  'tabs sharing one connection over %s, in headless Chromium',
  (transport) => {
    let emitter: Emitter<Events>
    let served: Served
    let browser: Awaited<ReturnType<typeof launchChromium>>
    let app = ''
    let pages: Page[] = []
    let n = 0

    beforeAll(async () => {
      app = await bundleForBrowser(new URL('./fixtures/share-app.ts', import.meta.url))
      emitter = createEmitter(events, { retryMs: 10 })
      served = await serveNode((req, res) => {
        if (req.url?.startsWith('/events')) void emitter.handle(req, res)
        else if (req.url === '/app.js') {
          res.writeHead(200, { 'content-type': 'text/javascript' }).end(app)
        } else {
          res
            .writeHead(200, { 'content-type': 'text/html' })
            .end('<!doctype html><title>tab</title><script src="/app.js"></script>')
        }
      })
      served.server.on('upgrade', (req, socket, head) => void emitter.upgrade(req, socket, head))
      browser = await launchChromium()
    })

    afterEach(async () => {
      for (const page of pages) if (!page.isClosed()) await page.close()
      pages = []
    })

    afterAll(async () => {
      await browser?.close()
      await emitter?.close()
      await served?.close()
    })

    /** Opens a tab of the app on `topics` and waits until its client is open. */
    const openTab = async (topics: string[]): Promise<Page> => {
      const page = await browser.context.newPage()
      pages.push(page)
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(`${served.url}/?transport=${transport}&topics=${topics.join(',')}`)
      await page.waitForFunction(() => tidings.statuses.at(-1) === 'open', undefined, WAIT)
      expect(errors).toEqual([])
      return page
    }
    const state = (page: Page): Promise<TabState> => page.evaluate(() => tidings)
    const received = async (page: Page): Promise<number[]> =>
      (await state(page)).received.map((r) => r.n)
    /** Waits until `page` received `count` events; on a timeout, shows what every tab holds. */
    const waitFor = async (page: Page, count: number): Promise<void> => {
      try {
        await page.waitForFunction((k) => tidings.received.length >= k, count, WAIT)
      } catch (error) {
        const tabs = await Promise.all(
          pages.map((tab) =>
            tab.isClosed()
              ? 'closed'
              : tab.evaluate(() => ({ ...tidings, received: tidings.received.length })),
          ),
        )
        throw new Error(`${count} events not received: ${JSON.stringify(tabs)}`, { cause: error })
      }
    }
    /** Emits one `tick` to `to` (a topic, several joined by `+`, or `*` for everyone). */
    const emit = (to: string): number => {
      const tick = { n: ++n, to }
      if (to === '*') emitter.emit('tick', tick)
      else emitter.to(to.split('+')).emit('tick', tick)
      return tick.n
    }

    it('five tabs share one connection, and each receives every event once, in order', async () => {
      const opened = emitter.stats().connectionsOpened
      const tabs: Page[] = []
      for (let i = 0; i < 5; i++) tabs.push(await openTab(['room:1']))
      const connections = emitter.stats().connections
      const expected: number[] = []
      for (let i = 0; i < 200; i++) {
        const to = ['room:1', '*', 'room:2', 'room:1+room:2'][i % 4]!
        const sent = emit(to)
        if (to !== 'room:2') expected.push(sent)
        if (i % 20 === 19) await sleep(5)
      }
      for (const tab of tabs) await waitFor(tab, expected.length)
      const lists = await Promise.all(tabs.map(received))
      console.log(
        `[share ${transport}] 5 tabs: ${connections} connection open on the server ` +
          `(${emitter.stats().connectionsOpened - opened} opened); per-tab deliveries: ${lists.map((l) => l.length).join(', ')} of ${expected.length}`,
      )
      expect(connections).toBe(1)
      expect(emitter.stats().connectionsOpened - opened).toBe(1)
      for (const list of lists) expect(list).toEqual(expected)
      // Exactly one tab ever led.
      const terms = await Promise.all(tabs.map(async (tab) => (await state(tab)).terms))
      expect(terms.filter((t) => t.length > 0)).toHaveLength(1)
      // The count is the server's: a tab that does not share has a connection of its own.
      const alone = await browser.context.newPage()
      pages.push(alone)
      await alone.goto(`${served.url}/?transport=${transport}&topics=room:1&share=0`)
      await alone.waitForFunction(() => tidings.statuses.at(-1) === 'open', undefined, WAIT)
      expect(emitter.stats().connections).toBe(2)
    })

    it('the leader tab closes mid-stream: the others get every event once, in order, over one new connection', async () => {
      const tabs: Page[] = []
      for (let i = 0; i < 5; i++) tabs.push(await openTab(['room:1']))
      const leaders = await Promise.all(
        tabs.map(async (tab) => (await state(tab)).terms.length > 0),
      )
      const leader = tabs[leaders.indexOf(true)]!
      expect(leaders.filter(Boolean)).toHaveLength(1)
      const survivors = tabs.filter((tab) => tab !== leader)
      const opened = emitter.stats().connectionsOpened
      const expected: number[] = []
      let closing: Promise<void> | undefined
      // Events before, while and after the leader tab closes.
      for (let i = 0; i < 300; i++) {
        expected.push(emit(i % 3 === 0 ? '*' : 'room:1'))
        if (i === 100) closing = leader.close()
        if (i === 200) await closing
        if (i % 10 === 9) await sleep(5)
      }
      for (const tab of survivors) await waitFor(tab, expected.length)
      const lists = await Promise.all(survivors.map(received))
      const newConnections = emitter.stats().connectionsOpened - opened
      console.log(
        `[share ${transport}] leader closed after event 101: ${newConnections} new connection on the server; ` +
          `per-survivor deliveries: ${lists.map((l) => l.length).join(', ')} of ${expected.length}`,
      )
      for (const list of lists) expect(list).toEqual(expected)
      expect(newConnections).toBe(1)
      expect(emitter.stats().connections).toBe(1)
      const after = await Promise.all(survivors.map(state))
      expect(after.flatMap((s) => s.terms)).toHaveLength(1)
      expect(after.flatMap((s) => s.gaps)).toEqual([])
      // The status followed the takeover: open again in every tab.
      for (const s of after) expect(s.statuses.at(-1)).toBe('open')
    })

    it('the leader tab gets `freeze`: it hands over at once, and rejoins on `resume`', async () => {
      // Chrome sends `freeze` to a background tab before it stops running it.
      // Headless Chromium freezes no visible page (and its pages are all visible),
      // so the events are dispatched: what is tested is the hand-over they cause.
      const tabs: Page[] = []
      for (let i = 0; i < 3; i++) tabs.push(await openTab(['room:1']))
      const leaders = await Promise.all(
        tabs.map(async (tab) => (await state(tab)).terms.length > 0),
      )
      const leader = tabs[leaders.indexOf(true)]!
      const opened = emitter.stats().connectionsOpened
      const expected: number[] = []
      for (let i = 0; i < 50; i++) expected.push(emit('room:1'))
      await leader.evaluate(() => document.dispatchEvent(new Event('freeze')))
      for (let i = 0; i < 100; i++) {
        expected.push(emit('room:1'))
        if (i % 10 === 9) await sleep(5)
      }
      for (const tab of tabs) await waitFor(tab, expected.length)
      const takeover = emitter.stats().connectionsOpened - opened
      await leader.evaluate(() => document.dispatchEvent(new Event('resume')))
      for (let i = 0; i < 50; i++) expected.push(emit('room:1'))
      for (const tab of tabs) await waitFor(tab, expected.length)
      const lists = await Promise.all(tabs.map(received))
      const terms = await Promise.all(tabs.map(async (tab) => (await state(tab)).terms))
      console.log(
        `[share ${transport}] leader got freeze: ${takeover} new connection for the takeover; ` +
          `per-tab deliveries: ${lists.map((l) => l.length).join(', ')} of ${expected.length}`,
      )
      expect(takeover).toBe(1)
      expect(terms.flat().sort()).toEqual([1, 2])
      for (const list of lists) expect(list).toEqual(expected)
      expect(emitter.stats().connections).toBe(1)
      for (const tab of tabs) expect((await state(tab)).gaps).toEqual([])
    })

    it('tabs with different topics each get exactly their own topics, on one connection', async () => {
      const subscriptions = [['a'], ['b'], ['a', 'c'], []]
      const tabs: Page[] = []
      for (const topics of subscriptions) tabs.push(await openTab(topics))
      await sleep(50)
      const targets = ['a', 'b', 'c', 'b+c', '*', 'd']
      const sent: Array<{ n: number; to: string }> = []
      for (let i = 0; i < 120; i++) {
        const to = targets[i % targets.length]!
        sent.push({ n: emit(to), to })
        if (i % 20 === 19) await sleep(5)
      }
      const owed = subscriptions.map((topics) =>
        sent
          .filter(({ to }) => to === '*' || to.split('+').some((t) => topics.includes(t)))
          .map((tick) => tick.n),
      )
      for (const [i, tab] of tabs.entries()) await waitFor(tab, owed[i]!.length)
      // One more broadcast, so a stray event of another topic would have arrived before it.
      const last = emit('*')
      for (const [i, tab] of tabs.entries()) await waitFor(tab, owed[i]!.length + 1)
      const lists = await Promise.all(tabs.map(received))
      console.log(
        `[share ${transport}] topics ${subscriptions.map((t) => `[${t}]`).join(' ')}: ` +
          `${emitter.stats().connections} connection open; per-tab deliveries: ${lists.map((l) => l.length).join(', ')}`,
      )
      expect(emitter.stats().connections).toBe(1)
      for (const [i, list] of lists.entries()) expect(list).toEqual([...owed[i]!, last])
    })

    it('a tab that joins or leaves with other topics changes the subscription without losing events for the others', async () => {
      const first = await openTab(['a'])
      const expectedA: number[] = []
      let joined: Page | undefined
      const seenB: number[] = []
      for (let i = 0; i < 240; i++) {
        expectedA.push(emit('a'))
        seenB.push(emit('b'))
        if (i === 60) joined = await openTab(['b'])
        if (i === 180) await joined?.evaluate(() => client.close())
        if (i % 10 === 9) await sleep(5)
      }
      await waitFor(first, expectedA.length)
      expect(await received(first)).toEqual(expectedA)
      // The joining tab gets the b events from some point on, each once and in order, until it closed.
      const b = await received(joined!)
      expect(b.length).toBeGreaterThan(0)
      const from = seenB.indexOf(b[0]!)
      expect(b).toEqual(seenB.slice(from, from + b.length))
      console.log(
        `[share ${transport}] union changes: tab [a] got ${expectedA.length}/${expectedA.length}, tab [b] got ${b.length} (joined at event ${b[0]}, closed at event ${seenB[180]})`,
      )
    })
  },
)
