import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { useClient, useClientStatus, useEvent } from '@tidings/react'
import { createEmitter } from '@tidings/server'
import { createElement, StrictMode } from 'react'
import { renderToString } from 'react-dom/server'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { events } from './fixtures/contract.js'

const handled: number[] = []

function Ticks({ url }: { url: string }) {
  const client = useClient(events, url, { topics: ['one'] })
  useEvent(client, 'tick', ({ n }) => handled.push(n))
  const status = useClientStatus(client)
  return createElement('p', null, `${status.state} ${client.lastEventId ?? 'none'}`)
}

describe('server rendering', () => {
  const emitter = createEmitter(events)
  const requests: string[] = []
  let server: http.Server
  let base: string

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '')
      void emitter.handle(req, res)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await emitter.close()
    await new Promise((resolve) => server.close(resolve))
  })

  it('renders the status without opening a connection', async () => {
    const fetch = vi.spyOn(globalThis, 'fetch')
    handled.length = 0
    const html = renderToString(
      createElement(StrictMode, null, createElement(Ticks, { url: `${base}/events` })),
    )
    expect(html).toBe('<p>connecting none</p>')
    // Whatever a render might have scheduled (a microtask, a timer) has run by now.
    await new Promise((resolve) => setTimeout(resolve, 100))
    emitter.emit('tick', { n: 1 })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(fetch).not.toHaveBeenCalled()
    expect(requests).toEqual([])
    expect(emitter.stats().connectionsOpened).toBe(0)
    expect(handled).toEqual([])
    fetch.mockRestore()
  })
})
