import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createEmitter } from '@tidings/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleForBrowser, launchChromium } from '../../../test/support/chromium.js'
import type { PageState } from './fixtures/app.js'
import { events } from './fixtures/contract.js'

declare const page: PageState

describe('@tidings/react in headless Chromium, under StrictMode', () => {
  const emitter = createEmitter(events, { retryMs: 10 })
  // Every request for the stream, as the HTTP server saw it: a connection that
  // StrictMode's first mount leaked would show here even if aborted at once.
  const requests: string[] = []
  let connected = 0
  let server: http.Server
  let url: string
  let browser: Awaited<ReturnType<typeof launchChromium>>
  const sockets = new Set<Socket>()

  beforeAll(async () => {
    const script = await bundleForBrowser(new URL('./fixtures/app.tsx', import.meta.url), {
      jsx: 'automatic',
      // React's development build: the one that double-mounts under StrictMode.
      define: { 'process.env.NODE_ENV': '"development"' },
    })
    server = http.createServer((req, res) => {
      if (req.url?.startsWith('/events')) {
        requests.push(req.url)
        void emitter.handle(req, res)
      } else if (req.url === '/app.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
      } else {
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><title>react</title><body><script src="/app.js"></script>')
      }
    })
    server.on('connection', (socket: Socket) => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await emitter.close()
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server?.close(resolve))
  })

  it('opens one connection, delivers each event once to the latest handler, and closes on unmount', async () => {
    const tab = await browser.context.newPage()
    const errors: string[] = []
    tab.on('pageerror', (error) => errors.push(error.message))
    tab.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    // Emitted before the page exists: only the replay can bring it, so it also
    // proves the handler was in place before the first byte arrived.
    emitter.to('one').emit('tick', { n: 1 })
    await tab.goto(url)
    await tab.waitForFunction(() => document.getElementById('status')?.textContent === 'open')
    await tab.waitForFunction(() => page.received.length >= 1)

    emitter.to('one').emit('tick', { n: 2 })
    await tab.waitForFunction(() => page.received.length >= 2)
    // A re-render with a new handler: no resubscription, the new one is called.
    await tab.evaluate(() => page.setLabel('b'))
    await tab.waitForFunction(() => document.getElementById('status')?.textContent === 'open')
    emitter.to('one').emit('tick', { n: 3 })
    await tab.waitForFunction(() => page.received.length >= 3)

    expect(await tab.evaluate(() => page.received)).toEqual(['a:1', 'a:2', 'b:3'])
    expect(requests).toEqual(['/events?topic=one&replay=10'])
    expect(emitter.stats().connections).toBe(1)
    expect(await tab.evaluate(() => page.statuses)).toEqual(['connecting', 'open'])

    // New topics: the old connection closes, one new one opens (resuming).
    await tab.evaluate(() => page.setTopic('two'))
    await tab.waitForFunction(() => page.statuses.length >= 4)
    expect(requests).toHaveLength(2)
    expect(requests[1]).toMatch(/^\/events\?topic=two/)
    emitter.to('two').emit('tick', { n: 4 })
    await tab.waitForFunction(() => page.received.length >= 4)
    expect(await tab.evaluate(() => page.received.at(-1))).toBe('b:4')

    // Unmounting closes the connection: the server sees it go.
    await tab.evaluate(() => page.setShown(false))
    await expect.poll(() => emitter.stats().connections, { timeout: 20_000 }).toBe(0)
    connected = emitter.stats().connectionsOpened
    expect(connected).toBe(2)
    expect(requests).toHaveLength(2)
    expect(errors).toEqual([])
    await tab.close()
  })

  it('shows the end of the topic with useEnded, live and on a late visit', async () => {
    const tab = await browser.context.newPage()
    const errors: string[] = []
    tab.on('pageerror', (error) => errors.push(error.message))
    await tab.goto(url)
    await tab.waitForFunction(() => document.getElementById('status')?.textContent === 'open')
    expect(await tab.locator('#ended').textContent()).toBe('')
    emitter.to('one').end('cancelled')
    await tab.waitForFunction(() => document.getElementById('ended')?.textContent !== '')
    expect(await tab.locator('#ended').textContent()).toBe('one cancelled')
    // Every topic of the client ended: it closed by itself.
    await tab.waitForFunction(() => document.getElementById('status')?.textContent === 'closed')

    // A late visit: the server sends the end at once.
    const late = await browser.context.newPage()
    await late.goto(url)
    await late.waitForFunction(() => document.getElementById('ended')?.textContent !== '')
    expect(await late.locator('#ended').textContent()).toBe('one cancelled')
    expect(errors).toEqual([])
    await tab.close()
    await late.close()
  })
})
