import { createClient, type DebugInfo } from '@tidings/client'
import { defineEvents } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod'
import { type BufferingProxy, startBufferingProxy } from '../support/buffering-proxy.js'
import { bundleForBrowser, launchChromium } from '../support/chromium.js'
import { type Served, serveEmitter, serveNode, until } from './support.js'

// transport: 'auto' behind a proxy that buffers text/event-stream: SSE stays silent,
// so the client falls back to WebSocket (tunnelled by the proxy) and keeps it.
// The WebSocket side is the emitter's own `emitter.upgrade`.

const events = defineEvents({ note: z.object({ text: z.string() }) })

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setUp(): Promise<{
  emitter: ReturnType<typeof createEmitter<typeof events>>
  served: Served
  proxy: BufferingProxy
}> {
  const emitter = createEmitter(events, { retryMs: 10 })
  const served = await serveEmitter('node', emitter)
  const proxy = await startBufferingProxy(served.port)
  cleanups.push(
    () => served.close(),
    () => emitter.close(),
    () => proxy.close(),
  )
  return { emitter, served, proxy }
}

describe("transport 'auto' in Node", () => {
  it('falls back to WebSocket when a proxy holds the SSE stream, resumes on it, and never goes back', async () => {
    const { emitter, served, proxy } = await setUp()
    const debug: DebugInfo[] = []
    const client = createClient(events, `${proxy.url}/events`, {
      WebSocket,
      reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
      onDebug: (info) => debug.push(info),
    })
    cleanups.push(() => client.close())
    const notes: string[] = []
    const statuses: string[] = []
    client.on('note', ({ text }) => notes.push(text))
    client.on('tidings:status', (status) =>
      statuses.push(status.state === 'open' ? `open:${status.transport}` : status.state),
    )
    await until(() => client.status.state === 'open', 'the fallback')
    expect(client.status).toEqual({ state: 'open', transport: 'websocket' })
    expect(debug).toContainEqual({
      type: 'transport',
      transport: 'websocket',
      reason: 'sse-silent',
    })
    emitter.emit('note', { text: 'one' })
    await until(() => notes.length === 1, 'the first event')

    served.dropAll()
    emitter.emit('note', { text: 'while away' })
    await until(() => notes.length === 2, 'the event sent while away')
    expect(notes).toEqual(['one', 'while away'])
    expect(statuses.slice(0, 3)).toEqual(['connecting', 'open:websocket', 'reconnecting'])
    expect(statuses.at(-1)).toBe('open:websocket')
    // One SSE try, then WebSocket only.
    expect(proxy.seen.filter((line) => line.startsWith('GET'))).toHaveLength(1)
    expect(proxy.seen.filter((line) => line.startsWith('UPGRADE')).length).toBeGreaterThanOrEqual(2)
  })

  it('stays on SSE when nothing holds it back', async () => {
    const { emitter, served } = await setUp()
    const client = createClient(events, `${served.url}/events`, { WebSocket })
    cleanups.push(() => client.close())
    const notes: string[] = []
    client.on('note', ({ text }) => notes.push(text))
    await until(() => client.status.state === 'open', 'the stream')
    emitter.emit('note', { text: 'direct' })
    await until(() => notes.length === 1, 'the event')
    expect(client.status).toEqual({ state: 'open', transport: 'sse' })
  })
})

describe("transport 'auto' in headless Chromium", () => {
  it('falls back to the platform WebSocket behind a buffering proxy and resumes on it', async () => {
    const emitter = createEmitter(events, { retryMs: 10 })
    const script = await bundleForBrowser(new URL('./fixtures/auto-app.ts', import.meta.url))
    const served = await serveNode((req, res) => {
      if (req.url?.startsWith('/events')) void emitter.handle(req, res)
      else if (req.url === '/app.js')
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
      else
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><title>tidings</title><script src="/app.js"></script>')
    })
    served.server.on('upgrade', (req, socket, head) => void emitter.upgrade(req, socket, head))
    const proxy = await startBufferingProxy(served.port)
    const browser = await launchChromium()
    cleanups.push(
      () => served.close(),
      () => emitter.close(),
      () => proxy.close(),
      () => browser.close(),
    )
    type PageState = { notes: string[]; statuses: string[]; debug: string[] }
    const page = await browser.context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(proxy.url)
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { tidings: PageState }).tidings.statuses.includes(
          'open:websocket',
        ),
      undefined,
      { timeout: 20_000 },
    )
    emitter.emit('note', { text: 'one' })
    await page.waitForFunction(
      () => (globalThis as unknown as { tidings: PageState }).tidings.notes.length === 1,
      undefined,
      { timeout: 20_000 },
    )
    served.dropAll()
    emitter.emit('note', { text: 'while away' })
    await page.waitForFunction(
      () => (globalThis as unknown as { tidings: PageState }).tidings.notes.length === 2,
      undefined,
      { timeout: 20_000 },
    )
    const state = await page.evaluate(
      () => (globalThis as unknown as { tidings: PageState }).tidings,
    )
    expect(state.notes).toEqual(['one', 'while away'])
    expect(state.statuses.slice(0, 3)).toEqual(['connecting', 'open:websocket', 'reconnecting'])
    expect(state.debug.map((d) => JSON.parse(d))).toContainEqual({
      type: 'transport',
      transport: 'websocket',
      reason: 'sse-silent',
    })
    expect(proxy.seen.filter((line) => line.startsWith('GET /events'))).toHaveLength(1)
    expect(pageErrors).toEqual([])
  })
})
