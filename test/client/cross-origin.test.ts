import type http from 'node:http'
import { defineEvents } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { bundleForBrowser, launchChromium } from '../support/chromium.js'
import { type Served, serveNode } from './support.js'

type PageState = { received: number[]; statuses: string[]; errors: string[] }
declare const tidings: PageState
declare const client: { readonly lastEventId: string | undefined }

// The contract of fixtures/cross-origin-app.ts (not imported: it connects on import).
const events = defineEvents({ 'server-time': z.object({ time: z.number() }) })

describe('a cross-origin stream in headless Chromium', () => {
  const emitter = createEmitter(events, { retryMs: 10, cors: { origin: ['*'] } })
  // What reached the stream's server: method, lastEventId query, Last-Event-ID header.
  const requests: Array<[string, string | null, string | undefined]> = []
  let page: Served
  let api: Served
  let browser: Awaited<ReturnType<typeof launchChromium>>

  beforeAll(async () => {
    const script = await bundleForBrowser(
      new URL('./fixtures/cross-origin-app.ts', import.meta.url),
    )
    page = await serveNode((req, res) => {
      if (req.url === '/app.js')
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
      else
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><title>tidings</title><script src="/app.js"></script>')
    })
    // The route as the docs show it: `app.get` only, so Express answers an OPTIONS
    // preflight itself, without CORS headers, and the browser would refuse it.
    const app = express()
    app.use((req, _res, next) => {
      requests.push([
        req.method,
        new URL(req.url, 'http://x').searchParams.get('lastEventId'),
        req.get('last-event-id'),
      ])
      next()
    })
    app.get('/events', (req, res) => emitter.handle(req, res))
    api = await serveNode(app as unknown as http.RequestListener)
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await emitter.close()
    await api?.close()
    await page?.close()
  })

  it('resumes after a drop without a preflight, so a plain app.get route works', async () => {
    const tab = await browser.context.newPage()
    const pageErrors: string[] = []
    tab.on('pageerror', (error) => pageErrors.push(error.message))
    // Another port: another origin.
    await tab.goto(`${page.url}/?stream=${encodeURIComponent(`${api.url}/events`)}`)
    await tab.waitForFunction(() => tidings.statuses.includes('open'), undefined, {
      timeout: 20_000,
    })
    emitter.emit('server-time', { time: 1 })
    await tab.waitForFunction(() => tidings.received.length === 1, undefined, { timeout: 20_000 })
    const before = await tab.evaluate(() => client.lastEventId)

    api.dropAll()
    emitter.emit('server-time', { time: 2 })
    await tab.waitForFunction(() => tidings.received.length >= 2, undefined, { timeout: 20_000 })

    const state = await tab.evaluate(() => tidings)
    expect(state.received).toEqual([1, 2])
    expect(requests.slice(0, 2)).toEqual([
      ['GET', null, undefined],
      ['GET', before, undefined],
    ])
    expect(requests.some(([method]) => method === 'OPTIONS')).toBe(false)
    expect(pageErrors).toEqual([])
    await tab.close()
  })
})
