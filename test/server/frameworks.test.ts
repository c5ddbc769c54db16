import http from 'node:http'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { createParser, defineEvents, type ParsedEvent } from '@tidings/schema'
import { createEmitter, HttpError } from '@tidings/server'
import express from 'express'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { listen, openStream, request } from './support.js'

const events = defineEvents({ tick: z.object({ n: z.number() }) })

describe('frameworks', () => {
  it('works as an Express 5 route, with the principal from earlier middleware via request.raw', async () => {
    const emitter = createEmitter(events, {
      history: { epoch: 'ep' },
      authorize: (request) => {
        const user = (request.raw as { user?: string }).user
        if (!user) throw new HttpError('unauthorized', 'Log in first.')
        return { user }
      },
      canSubscribe: (principal, topic) => topic === `user:${principal.user}`,
    })
    const app = express()
    app.use((req, _res, next) => {
      const user = req.get('x-user')
      if (user) Object.assign(req, { user })
      next()
    })
    app.get('/events', (req, res) => emitter.handle(req, res))
    const served = await listen(http.createServer(app))
    try {
      expect((await request(`${served.url}/events?topic=user:ada`)).status).toBe(401)
      expect(
        (await request(`${served.url}/events?topic=user:bob`, { headers: { 'X-User': 'ada' } }))
          .status,
      ).toBe(403)
      const stream = await openStream(`${served.url}/events?topic=user:ada`, { 'X-User': 'ada' })
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8')
      emitter.to('user:ada').emit('tick', { n: 1 })
      expect(await stream.next()).toEqual({ event: 'tick', data: '{"n":1}', id: 'ep-1' })
      stream.close()
    } finally {
      await emitter.close()
      await served.close()
    }
  })

  it('works as a Hono route on @hono/node-server', async () => {
    const emitter = createEmitter(events, { history: { epoch: 'ep' } })
    const app = new Hono()
    app.get('/events', (c) => emitter.fetch(c.req.raw))
    const served = await listen(http.createServer(getRequestListener(app.fetch)))
    try {
      const stream = await openStream(`${served.url}/events?topic=a`, { 'Last-Event-ID': 'ep-0' })
      expect(stream.headers['cache-control']).toBe('no-cache, no-transform')
      emitter.to('a').emit('tick', { n: 1 })
      emitter.to('b').emit('tick', { n: 2 })
      emitter.emit('tick', { n: 3 })
      expect((await stream.take(2)).map((e) => e.id)).toEqual(['ep-1', 'ep-3'])
      stream.close()
    } finally {
      await emitter.close()
      await served.close()
    }
  })

  it('works over the http2 compatibility API, without a Connection header', async () => {
    const emitter = createEmitter(events, { history: { epoch: 'ep' } })
    const server = http2.createServer((req, res) => void emitter.handle(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const client = http2.connect(`http://127.0.0.1:${port}`)
    try {
      const req = client.request({ ':path': '/?topic=a', 'last-event-id': 'ep-0' })
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) =>
        req.once('response', resolve),
      )
      expect(headers[':status']).toBe(200)
      expect(headers['content-type']).toBe('text/event-stream; charset=utf-8')
      expect(headers.connection).toBeUndefined()
      const seen: ParsedEvent[] = []
      const parser = createParser({ onEvent: (event) => seen.push(event) })
      req.on('data', (chunk: Buffer) => parser.feed(chunk))
      emitter.to('a').emit('tick', { n: 1 })
      emitter.emit('tick', { n: 2 })
      for (let i = 0; i < 400 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 5))
      expect(seen.map((e) => e.id)).toEqual(['ep-1', 'ep-2'])
      req.close()
      for (let i = 0; i < 400 && emitter.stats().connections > 0; i++)
        await new Promise((r) => setTimeout(r, 5))
      expect(emitter.stats().connections).toBe(0)
    } finally {
      client.close()
      await emitter.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
