import { defineEvents } from '@tidings/schema'
import { createEmitter, type Emitter } from '@tidings/server'
import { EventSource } from 'eventsource'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { launchChromium } from '../support/chromium.js'
import { HANDLERS, type Served, serveEmitter, until } from './support.js'

const events = defineEvents({
  'server-time': z.object({ time: z.number() }),
  'chat:message': z.object({ user: z.string(), text: z.string() }),
})
type Events = typeof events

interface Seen {
  readonly type: string
  readonly data: string
  readonly lastEventId: string
}

/**
 * The scenario both consumers go through: named events with ids, the server
 * drops every connection, events are emitted while the client is away, and the
 * consumer's own reconnect (with Last-Event-ID) replays exactly those.
 */
async function scenario(
  emitter: Emitter<Events>,
  served: Served,
  seen: () => Promise<Seen[]>,
  opens: () => Promise<number>,
): Promise<void> {
  await until(() => emitter.stats().connections === 1, 'first connection', 4000)
  emitter.emit('server-time', { time: 1 })
  emitter.to('room:lobby').emit('chat:message', { user: 'ada', text: 'hi' })
  emitter.to('room:other').emit('chat:message', { user: 'eve', text: 'not for you' })
  const first = await poll(seen, (list) => list.length >= 2)
  expect(first.slice(0, 2)).toEqual([
    { type: 'server-time', data: '{"time":1}', lastEventId: expect.stringMatching(/-1$/) },
    {
      type: 'chat:message',
      data: '{"user":"ada","text":"hi"}',
      lastEventId: expect.stringMatching(/-2$/),
    },
  ])

  const opened = emitter.stats().connectionsOpened
  served.drop()
  // Emitted once the client's socket is gone (a retry hint of 60 ms can bring it
  // back before a poll would see zero connections): only history can bring these.
  emitter.emit('server-time', { time: 2 })
  emitter.to('room:lobby').emit('chat:message', { user: 'bob', text: 'missed?' })
  await until(
    () => emitter.stats().connectionsOpened > opened && emitter.stats().connections === 1,
    'reconnect',
    8000,
  )
  emitter.emit('server-time', { time: 3 })
  const all = await poll(seen, (list) => list.length >= 5)
  expect(all.map((e) => `${e.type} ${e.data} ${e.lastEventId.split('-')[1]}`)).toEqual([
    'server-time {"time":1} 1',
    'chat:message {"user":"ada","text":"hi"} 2',
    'server-time {"time":2} 4',
    'chat:message {"user":"bob","text":"missed?"} 5',
    'server-time {"time":3} 6',
  ])
  expect(await opens()).toBe(2)
}

async function poll<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 800; i++) {
    const value = await read()
    if (ok(value)) return value
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return read()
}

describe.each(HANDLERS)('%s handler: interop', (kind) => {
  it('the eventsource npm package reads named events and ids, and resumes with Last-Event-ID', async () => {
    const emitter = createEmitter(events, { retryMs: 60 })
    const served = await serveEmitter(kind, emitter)
    const seen: Seen[] = []
    let opens = 0
    const source = new EventSource(`${served.url}/events?topic=room:lobby`)
    source.addEventListener('open', () => opens++)
    for (const type of ['server-time', 'chat:message']) {
      source.addEventListener(type, (event) => {
        seen.push({ type: event.type, data: event.data, lastEventId: event.lastEventId })
      })
    }
    try {
      await scenario(
        emitter,
        served,
        async () => seen,
        async () => opens,
      )
    } finally {
      source.close()
      await emitter.close()
      await served.close()
    }
  })
})

describe('Chromium native EventSource', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>
  beforeAll(async () => {
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
  })

  const PAGE = `<!doctype html><meta charset="utf-8"><script>
    window.seen = []; window.opens = 0; window.errors = 0
    const source = new EventSource('/events?topic=room:lobby')
    source.onopen = () => window.opens++
    source.onerror = () => window.errors++
    for (const type of ['server-time', 'chat:message']) {
      source.addEventListener(type, (e) => window.seen.push({ type: e.type, data: e.data, lastEventId: e.lastEventId }))
    }
  </script>`

  it.each(HANDLERS)(
    'consumes a %s-handler stream: named events, ids, reconnect and replay',
    async (kind) => {
      const emitter = createEmitter(events, { retryMs: 60 })
      const served = await serveEmitter(kind, emitter, PAGE)
      const page = await browser.context.newPage()
      try {
        await page.goto(`${served.url}/page.html`)
        await scenario(
          emitter,
          served,
          () => page.evaluate(() => (window as unknown as { seen: Seen[] }).seen),
          () => page.evaluate(() => (window as unknown as { opens: number }).opens),
        )
      } finally {
        await page.close()
        await emitter.close()
        await served.close()
      }
    },
  )
})
