import { fileURLToPath } from 'node:url'
import { createEmitter } from '@tidings/server'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../support/chromium.js'
import { events } from './fixtures/browser-app.js'
import { type Served, serveNode } from './support.js'

type PageState = {
  received: Array<{ time: number; id: string | undefined }>
  stamped: string[]
  statuses: string[]
  errors: string[]
}
declare const tidings: PageState
declare const client: { readonly lastEventId: string | undefined }

describe('in headless Chromium', () => {
  const emitter = createEmitter(events, { retryMs: 10 })
  const lastEventIds: Array<string | undefined> = []
  let served: Served
  let browser: Awaited<ReturnType<typeof launchChromium>>

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./fixtures/browser-app.ts', import.meta.url))],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      conditions: ['@tidings/source'],
      write: false,
      logLevel: 'silent',
    })
    const script = bundle.outputFiles[0]?.text ?? ''
    served = await serveNode((req, res) => {
      if (req.url?.startsWith('/events')) {
        lastEventIds.push(req.headers['last-event-id'] as string | undefined)
        void emitter.handle(req, res)
      } else if (req.url === '/app.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
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
