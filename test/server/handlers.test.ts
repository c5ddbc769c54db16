import http from 'node:http'
import net from 'node:net'
import { defineEvents } from '@tidings/schema'
import { createEmitter, type DisconnectInfo, type Emitter, HttpError } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { HANDLERS, openStream, request, type Served, serveEmitter, until } from './support.js'

const events = defineEvents({
  tick: z.object({ n: z.number() }),
  'chat:message': z.object({ user: z.string(), text: z.string() }),
})

const errorBody = (body: string) => JSON.parse(body) as { error: { code: string; message: string } }

describe.each(HANDLERS)('%s handler', (kind) => {
  const cleanup: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn()
  })

  // biome-ignore lint/suspicious/noExplicitAny: scenarios use emitters of several principal types
  async function start<T extends Emitter<typeof events, any>>(emitter: T): Promise<Served> {
    const served = await serveEmitter(kind, emitter)
    cleanup.push(async () => {
      await emitter.close()
      await served.close()
    })
    return served
  }

  it('answers with the SSE headers and the start block', async () => {
    const emitter = createEmitter(events, { history: { epoch: 'ep' }, heartbeatMs: 15000 })
    const { url } = await start(emitter)
    emitter.emit('tick', { n: 1 })
    const stream = await openStream(`${url}/events`, { 'Accept-Encoding': 'gzip, br' })
    expect(stream.status).toBe(200)
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(stream.headers['cache-control']).toBe('no-cache, no-transform')
    expect(stream.headers['x-accel-buffering']).toBe('no')
    expect(stream.headers['content-encoding']).toBeUndefined()
    if (kind === 'node') expect(stream.headers.connection).toBe('keep-alive')
    await until(() => stream.text().length > 0, 'start block')
    expect(stream.text()).toMatch(/^: tidings heartbeat=15000\nretry:\d+\nid:ep-1\n\n$/)
    emitter.emit('tick', { n: 2 })
    expect(await stream.next()).toEqual({ event: 'tick', data: '{"n":2}', id: 'ep-2' })
    stream.close()
  })

  it.runIf(kind === 'node')('sends Connection: keep-alive only on HTTP/1.1', async () => {
    const emitter = createEmitter(events)
    const { port } = await start(emitter)
    const head = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write('GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n')
      })
      let text = ''
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1')
        if (text.includes('tidings heartbeat=')) {
          socket.destroy()
          resolve(text)
        }
      })
      socket.on('error', reject)
    })
    expect(head).toMatch(/^HTTP\/1\.1 200/)
    expect(head.toLowerCase()).not.toContain('connection: keep-alive')
    expect(head.toLowerCase()).toContain('content-type: text/event-stream; charset=utf-8')
  })

  it('routes topics: subscribers get their topics and broadcasts, each once', async () => {
    const emitter = createEmitter(events, { history: { epoch: 'ep' } })
    const { url } = await start(emitter)
    const lobby = await openStream(`${url}/?topic=room:lobby`)
    const both = await openStream(`${url}/?topic=room:lobby&topic=room:b`)
    const plain = await openStream(`${url}/`)
    emitter.to('room:b').emit('chat:message', { user: 'a', text: '1' })
    emitter.to(['room:lobby', 'room:b']).emit('chat:message', { user: 'a', text: '2' })
    emitter.emit('tick', { n: 3 })
    expect((await lobby.take(2)).map((e) => e.id)).toEqual(['ep-2', 'ep-3'])
    expect((await both.take(3)).map((e) => e.id)).toEqual(['ep-1', 'ep-2', 'ep-3'])
    expect((await plain.take(1)).map((e) => e.id)).toEqual(['ep-3'])
    for (const s of [lobby, both, plain]) s.close()
  })

  it('resumes after Last-Event-ID or ?lastEventId, and says so when it cannot', async () => {
    const emitter = createEmitter(events, { history: { epoch: 'ep', maxEvents: 3 } })
    const { url } = await start(emitter)
    for (let n = 1; n <= 5; n++) emitter.emit('tick', { n })
    const header = await openStream(`${url}/?lastEventId=ep-1`, { 'Last-Event-ID': 'ep-3' })
    expect((await header.take(2)).map((e) => e.id)).toEqual(['ep-4', 'ep-5'])
    const query = await openStream(`${url}/?lastEventId=ep-4`)
    expect((await query.take(1)).map((e) => e.id)).toEqual(['ep-5'])
    const huge = 'a'.repeat(9000)
    for (const [id, reason] of [
      ['ep-1', 'expired'],
      ['ep-77', 'unknown'],
      ['zz9-1', 'other-epoch'],
      ['\u00e9t\u00e9 not an id', 'malformed'],
      [huge, 'malformed'],
    ] as const) {
      const stream = await openStream(`${url}/`, { 'Last-Event-ID': id })
      expect(stream.status).toBe(200)
      const gap = await stream.next()
      expect(gap).toMatchObject({ event: 'tidings:gap', id: emitter.stats().headId })
      const info = JSON.parse(gap.data)
      expect(info.reason).toBe(reason)
      if (id === huge) expect(info.lastEventId).toBe('a'.repeat(256))
      emitter.emit('tick', { n: 0 })
      expect((await stream.next()).event).toBe('tick')
      stream.close()
    }
    header.close()
    query.close()
  })

  it('refuses malformed and too many topics with 400 and a JSON body', async () => {
    const emitter = createEmitter(events, { maxTopics: 2 })
    const { url } = await start(emitter)
    const bad = await request(`${url}/?topic=ok&topic=${encodeURIComponent('no spaces')}`)
    expect(bad.status).toBe(400)
    expect(bad.headers['content-type']).toMatch(/^application\/json/)
    expect(errorBody(bad.body).error.code).toBe('invalid_topic')
    expect((await request(`${url}/?topic=`)).status).toBe(400)
    expect((await request(`${url}/?topic=${'x'.repeat(129)}`)).status).toBe(400)
    const many = await request(`${url}/?topic=a&topic=b&topic=c`)
    expect(many.status).toBe(400)
    expect(errorBody(many.body).error.code).toBe('too_many_topics')
    // Duplicates are not "too many".
    expect((await request(`${url}/?topic=a&topic=b&topic=a`)).status).toBe(200)
    expect(emitter.stats().requestsRejected).toBe(4)
  })

  it('authorises: principal to canSubscribe and hooks; refusals are 401/403; never a partial subscription', async () => {
    const connected: unknown[] = []
    const errors: unknown[] = []
    const emitter = createEmitter(events, {
      authorize: async (req) => {
        const token = req.headers.get('authorization')
        if (token === 'boom') throw new Error('database down')
        if (token !== 'Bearer ada' && token !== 'Bearer bob') {
          throw new HttpError('unauthorized', 'Send a bearer token.')
        }
        return { user: token.slice(7) }
      },
      canSubscribe: (principal, topic) => topic === `user:${principal.user}` || topic === 'public',
      onConnect: (info) => connected.push(info),
      onError: (error) => errors.push(error),
    })
    const { url } = await start(emitter)
    const anonymous = await request(`${url}/?topic=public`)
    expect(anonymous.status).toBe(401)
    expect(errorBody(anonymous.body)).toEqual({
      error: { code: 'unauthorized', message: 'Send a bearer token.' },
    })
    const refused = await request(`${url}/?topic=public&topic=user:bob`, {
      headers: { Authorization: 'Bearer ada' },
    })
    expect(refused.status).toBe(403)
    expect(errorBody(refused.body).error.code).toBe('forbidden')
    const failing = await request(`${url}/?topic=public`, { headers: { Authorization: 'boom' } })
    expect(failing.status).toBe(500)
    expect(errorBody(failing.body).error.code).toBe('internal')
    expect(failing.body).not.toContain('database down')
    expect(errors).toHaveLength(1)
    expect(String(errors[0])).toContain('database down')
    expect(connected).toEqual([])
    expect(emitter.stats().connections).toBe(0)

    const stream = await openStream(`${url}/?topic=user:ada&topic=public`, {
      Authorization: 'Bearer ada',
    })
    expect(stream.status).toBe(200)
    await until(() => connected.length === 1, 'onConnect')
    expect(connected[0]).toMatchObject({
      principal: { user: 'ada' },
      topics: ['public', 'user:ada'],
    })
    emitter.to('user:bob').emit('tick', { n: 1 })
    emitter.to('user:ada').emit('tick', { n: 2 })
    expect((await stream.next()).data).toBe('{"n":2}')
    stream.close()
  })

  it('does not open a stream for a client that left while authorize was pending', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let asked = 0
    const connected: unknown[] = []
    const emitter = createEmitter(events, {
      authorize: async () => {
        asked++
        await gate
        return 'ada'
      },
      onConnect: (info) => connected.push(info),
    })
    const { url } = await start(emitter)
    const req = http.get(`${url}/`, { agent: false })
    req.on('error', () => {})
    await until(() => asked === 1, 'authorize called')
    req.destroy()
    // Let the server notice the closed socket before authorisation completes.
    await new Promise((resolve) => setTimeout(resolve, 50))
    release()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(connected).toEqual([])
    expect(emitter.stats().connections).toBe(0)
    // And the server keeps serving others.
    const stream = await openStream(`${url}/`)
    expect(stream.status).toBe(200)
    stream.close()
  })

  it('answers 405 to other methods and OPTIONS without CORS headers by default', async () => {
    const emitter = createEmitter(events)
    const { url } = await start(emitter)
    const post = await request(`${url}/`, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('GET, OPTIONS')
    expect(errorBody(post.body).error.code).toBe('method_not_allowed')
    const options = await request(`${url}/`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example' },
    })
    expect(options.status).toBe(204)
    expect(options.headers['access-control-allow-origin']).toBeUndefined()
    const stream = await request(`${url}/`, { headers: { Origin: 'https://evil.example' } })
    expect(stream.status).toBe(200)
    expect(stream.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('applies the CORS allow-list to preflights, streams and errors', async () => {
    const emitter = createEmitter(events, {
      cors: { origin: ['https://app.example'], credentials: true },
      maxTopics: 1,
    })
    const { url } = await start(emitter)
    const preflight = await request(`${url}/`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Headers': 'last-event-id' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example')
    expect(preflight.headers['access-control-allow-credentials']).toBe('true')
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, OPTIONS')
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Last-Event-ID/)
    const other = await request(`${url}/`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example' },
    })
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
    const stream = await request(`${url}/`, { headers: { Origin: 'https://app.example' } })
    expect(stream.headers['access-control-allow-origin']).toBe('https://app.example')
    expect(stream.headers.vary).toMatch(/Origin/)
    const error = await request(`${url}/?topic=a&topic=b`, {
      headers: { Origin: 'https://app.example' },
    })
    expect(error.status).toBe(400)
    expect(error.headers['access-control-allow-origin']).toBe('https://app.example')
  })

  it('answers 503 with a jittered Retry-After at maxConnections', async () => {
    const emitter = createEmitter(events, { maxConnections: 2, retryMs: 4000 })
    const { url } = await start(emitter)
    const a = await openStream(`${url}/`)
    const b = await openStream(`${url}/`)
    const full = await request(`${url}/`)
    expect(full.status).toBe(503)
    expect(errorBody(full.body).error.code).toBe('unavailable')
    const after = Number(full.headers['retry-after'])
    expect(Number.isInteger(after)).toBe(true)
    expect(after).toBeGreaterThanOrEqual(2)
    expect(after).toBeLessThanOrEqual(6)
    a.close()
    await until(() => emitter.stats().connections === 1, 'disconnect')
    const c = await openStream(`${url}/`)
    expect(c.status).toBe(200)
    b.close()
    c.close()
  })

  it('reports client disconnects to onDisconnect and frees the connection', async () => {
    const gone: DisconnectInfo<undefined>[] = []
    const emitter = createEmitter(events, { onDisconnect: (info) => gone.push(info) })
    const { url } = await start(emitter)
    const stream = await openStream(`${url}/?topic=t`)
    await until(() => emitter.stats().connections === 1, 'connect')
    stream.close()
    await until(() => gone.length === 1, 'onDisconnect')
    expect(gone[0]).toMatchObject({ reason: 'client', topics: ['t'], principal: undefined })
    expect(emitter.stats().connections).toBe(0)
    // Emitting after the disconnect is harmless.
    emitter.emit('tick', { n: 1 })
  })

  it('sends heartbeat comments on one shared timer', async () => {
    const emitter = createEmitter(events, { heartbeatMs: 20 })
    const { url } = await start(emitter)
    const a = await openStream(`${url}/`)
    const b = await openStream(`${url}/`)
    await until(() => a.comments.includes('') && b.comments.includes(''), 'heartbeats')
    expect(a.comments[0]).toBe('tidings heartbeat=20')
    a.close()
    b.close()
  })

  it('closes gracefully: retry hint, end, 503 for newcomers, spread over drainMs', async () => {
    const gone: string[] = []
    const emitter = createEmitter(events, {
      retryMs: 1000,
      onDisconnect: (info) => gone.push(info.reason),
    })
    const { url } = await start(emitter)
    const streams = await Promise.all(Array.from({ length: 5 }, () => openStream(`${url}/`)))
    await until(() => emitter.stats().connections === 5, 'connections')
    const closed = emitter.close({ drainMs: 100 })
    expect((await request(`${url}/`)).status).toBe(503)
    await closed
    await Promise.all(streams.map((s) => s.ended))
    for (const stream of streams) {
      expect(stream.retries).toHaveLength(2)
      expect(stream.text()).toMatch(/retry:\d+\n\n$/)
    }
    expect(gone).toEqual(['server', 'server', 'server', 'server', 'server'])
    expect(emitter.stats().connections).toBe(0)
  })
})
