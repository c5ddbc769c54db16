import { defineEvents } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { bundleForBrowser, launchChromium } from '../support/chromium.js'
import { type Served, serveNode } from './support.js'

type PageState = {
  received: Array<{ time: number; id: string | undefined }>
  stamped: string[]
  statuses: string[]
  errors: string[]
}
declare const tidings: PageState
declare const client: { readonly lastEventId: string | undefined }
declare const workerErrors: string[]

// The contract of fixtures/browser-app.ts, not imported from it: importing the fixture
// would start a client in this process.
const events = defineEvents({
  'server-time': z.object({ time: z.number() }),
  stamped: z.object({ at: z.string().transform((s) => new Date(s)) }),
})

describe('in headless Chromium', () => {
  const emitter = createEmitter(events, { retryMs: 10 })
  const lastEventIds: Array<string | undefined> = []
  let headerSent = false
  let served: Served
  let browser: Awaited<ReturnType<typeof launchChromium>>

  beforeAll(async () => {
    const bundle = (name: string) =>
      bundleForBrowser(new URL(`./fixtures/${name}.ts`, import.meta.url))
    const scripts: Record<string, string> = {
      '/app.js': await bundle('browser-app'),
      '/worker.js': await bundle('browser-worker'),
    }
    served = await serveNode((req, res) => {
      const script = scripts[req.url ?? '']
      if (req.url?.startsWith('/events')) {
        // A Tidings stream resumes with the query parameter, never the header.
        lastEventIds.push(new URL(req.url, 'http://x').searchParams.get('lastEventId') ?? undefined)
        if (req.headers['last-event-id'] !== undefined) headerSent = true
        void emitter.handle(req, res)
      } else if (script !== undefined) {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
      } else if (req.url === '/worker') {
        // The page only relays what the worker posts; the client runs in the worker.
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(
            '<!doctype html><title>tidings worker</title><script>' +
              "globalThis.workerErrors = []; const worker = new Worker('/worker.js');" +
              'worker.onmessage = (e) => { globalThis.tidings = e.data };' +
              'worker.onerror = (e) => { globalThis.workerErrors.push(e.message) };</script>',
          )
      } else {
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><title>tidings</title><script src="/app.js"></script>')
      }
    })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await emitter.close()
    await served?.close()
  })

  it('connects, receives typed events, and resumes after the server drops it', async () => {
    const page = await browser.context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(served.url)
    await page.waitForFunction(() => tidings.statuses.includes('open'), undefined, {
      timeout: 20_000,
    })

    for (let time = 1; time <= 5; time++) emitter.emit('server-time', { time })
    emitter.emit('stamped', { at: '2026-11-24T12:00:00.000Z' })
    await page.waitForFunction(() => tidings.stamped.length === 1, undefined, { timeout: 20_000 })
    const before = await page.evaluate(() => client.lastEventId)
    expect(before).toMatch(/^[0-9a-z]+-6$/)

    // Drop every connection, and emit while the page is away: the replay brings them.
    served.dropAll()
    for (let time = 6; time <= 10; time++) emitter.emit('server-time', { time })
    await page.waitForFunction(() => tidings.received.length >= 10, undefined, { timeout: 20_000 })

    const state = await page.evaluate(() => tidings)
    expect(state.received.map((r) => r.time)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(state.stamped).toEqual(['2026-11-24T12:00:00.000Z'])
    expect(state.statuses.slice(0, 3)).toEqual(['connecting', 'open', 'reconnecting'])
    expect(state.errors.every((e) => e.startsWith('ConnectionError'))).toBe(true)
    // The reconnect sent the id of the last event processed before the drop.
    expect(lastEventIds.slice(0, 2)).toEqual([undefined, before])
    expect(headerSent).toBe(false)
    expect(pageErrors).toEqual([])
    await page.close()
  })

  it('runs in a Web Worker: typed events, and a resume after the server drops it', async () => {
    const page = await browser.context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    const requests = lastEventIds.length
    await page.goto(`${served.url}/worker`)
    await page.waitForFunction(
      () => (globalThis as { tidings?: PageState }).tidings?.statuses.includes('open'),
      undefined,
      {
        timeout: 20_000,
      },
    )
    emitter.emit('server-time', { time: 101 })
    emitter.emit('stamped', { at: '2026-11-24T13:00:00.000Z' })
    await page.waitForFunction(() => tidings.stamped.length === 1, undefined, { timeout: 20_000 })
    const before = await page.evaluate(
      () => (tidings as PageState & { lastEventId: string }).lastEventId,
    )

    served.dropAll()
    emitter.emit('server-time', { time: 102 })
    await page.waitForFunction(() => tidings.received.length >= 2, undefined, { timeout: 20_000 })

    const state = await page.evaluate(() => tidings)
    expect(state.received.map((r) => r.time)).toEqual([101, 102])
    expect(state.stamped).toEqual(['2026-11-24T13:00:00.000Z'])
    expect(state.statuses.slice(0, 3)).toEqual(['connecting', 'open', 'reconnecting'])
    expect(lastEventIds.slice(requests, requests + 2)).toEqual([undefined, before])
    expect(await page.evaluate(() => workerErrors)).toEqual([])
    expect(pageErrors).toEqual([])
    await page.close()
  })

  it('reconnects at once when the page comes back online, without waiting out the backoff', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${served.url}/?slow`)
    await page.waitForFunction(() => tidings.statuses.includes('open'), undefined, {
      timeout: 20_000,
    })
    const requests = lastEventIds.length
    await browser.context.setOffline(true)
    served.dropAll()
    await page.waitForFunction(() => tidings.statuses.at(-1) === 'reconnecting', undefined, {
      timeout: 20_000,
    })
    emitter.emit('server-time', { time: 99 })
    await browser.context.setOffline(false)
    // The backoff says a minute; the online event brings it back well before.
    await page.waitForFunction(() => tidings.received.some((r) => r.time === 99), undefined, {
      timeout: 20_000,
    })
    expect(lastEventIds.length).toBe(requests + 1)
    await page.close()
  })
})
