import net from 'node:net'
import { defineEvents } from '@tidings/schema'
import { createEmitter, type Emitter, HttpError, OptionError } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { HANDLERS, openStream, request, type Served, serveEmitter, until } from './support.js'

const events = defineEvents({
  tick: z.object({ n: z.number() }),
  blob: z.object({ text: z.string() }),
})

const errorBody = (body: string) => JSON.parse(body) as { error: { code: string; message: string } }

/** Sends a raw request line and headers, returns what the server answered first. */
function raw(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head))
    let text = ''
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      if (/\r\n\r\n/.test(text)) {
        socket.destroy()
        resolve(text)
      }
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(text))
  })
}

describe.each(HANDLERS)('%s handler, hostile input', (kind) => {
  const cleanup: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn()
  })

  // biome-ignore lint/suspicious/noExplicitAny: scenarios use emitters of several principal types
  async function start(emitter: Emitter<typeof events, any>): Promise<Served> {
    const served = await serveEmitter(kind, emitter)
    cleanup.push(async () => {
      await emitter.close()
      await served.close()
    })
    return served
  }

  it('survives a CORS predicate that throws: a 500 with nothing internal, the error reported once', async () => {
    const reported: unknown[] = []
    const emitter = createEmitter(events, {
      cors: { origin: (origin) => new URL(origin).hostname.endsWith('.example.com') },
      onError: (error) => reported.push(error),
    })
    const { url } = await start(emitter)
    for (const method of ['GET', 'OPTIONS', 'POST']) {
      const response = await request(`${url}/events`, { method, headers: { Origin: 'null' } })
      expect(response.status, method).toBe(500)
      const body = errorBody(response.body)
      expect(body.error.code).toBe('internal')
      expect(response.body).not.toMatch(/Invalid URL|TypeError|null/)
      expect(response.headers['access-control-allow-origin']).toBeUndefined()
    }
    // One report per request: the predicate is not called a second time for the 500.
    expect(reported).toHaveLength(3)
    expect(reported.every((error) => error instanceof TypeError)).toBe(true)
    // The process lives, and an allowed origin still gets its stream.
    const stream = await openStream(`${url}/events`, { Origin: 'https://app.example.com' })
    expect(stream.status).toBe(200)
    expect(stream.headers['access-control-allow-origin']).toBe('https://app.example.com')
    stream.close()
  })

  it('survives every hook throwing: authorize and canSubscribe answer 500, the others leave the stream alone', async () => {
    const reported: unknown[] = []
    const boom = (where: string) => () => {
      throw new Error(`${where} exploded with a secret`)
    }
    const a = createEmitter(events, {
      authorize: boom('authorize'),
      onError: (e) => reported.push(e),
    })
    const b = createEmitter(events, {
      canSubscribe: boom('canSubscribe'),
      onError: (e) => reported.push(e),
    })
    const c = createEmitter(events, {
      onConnect: boom('onConnect'),
      onDisconnect: boom('onDisconnect'),
      onError: () => {
        throw new Error('onError exploded too')
      },
    })
    for (const emitter of [a, b]) {
      const { url } = await start(emitter)
      const response = await request(`${url}/events?topic=t`)
      expect(response.status).toBe(500)
      expect(response.body).not.toContain('secret')
    }
    expect(reported).toHaveLength(2)
    const { url } = await start(c)
    const stream = await openStream(`${url}/events`)
    expect(stream.status).toBe(200)
    c.emit('tick', { n: 1 })
    expect((await stream.next()).data).toBe('{"n":1}')
    stream.close()
    await until(() => c.stats().connections === 0, 'disconnect')
  })

  it('refuses a request when authorize returns false', async () => {
    const emitter = createEmitter(events, { authorize: () => false })
    const { url } = await start(emitter)
    const response = await request(`${url}/events`)
    expect(response.status).toBe(401)
    expect(errorBody(response.body).error.code).toBe('unauthorized')
    expect(emitter.stats().connections).toBe(0)
  })

  it('reads a request target with a #fragment the same way on both handlers', async () => {
    const emitter = createEmitter(events, { history: { epoch: 'ep' } })
    const { port } = await start(emitter)
    const head = await raw(
      port,
      'GET /events?topic=room#frag HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n',
    )
    expect(head).toMatch(/^HTTP\/1\.1 200/)
  })

  it('pages a replay: a client that resumes from far back and does not read pins one page, not the history', async () => {
    const maxBufferBytes = 64 * 1024
    const emitter = createEmitter(events, {
      history: { epoch: 'ep', maxEvents: 1000 },
      maxBufferBytes,
    })
    const { url } = await start(emitter)
    const text = 'x'.repeat(40_000)
    for (let i = 0; i < 1000; i++) emitter.emit('blob', { text })
    // 40 MB of history. A reader that takes everything gets all 1000 events...
    const reader = await openStream(`${url}/events`, { 'Last-Event-ID': 'ep-0' })
    expect((await reader.take(1000)).at(-1)?.id).toBe('ep-1000')
    reader.close()
    await until(() => emitter.stats().connections === 0, 'reader gone')
    // ...while one that never reads holds no more than the socket buffers took.
    const before = emitter.stats().bytesWritten
    const socket = net.connect(new URL(url).port as unknown as number, '127.0.0.1')
    socket.pause()
    socket.write(
      'GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: ep-0\r\nAccept: text/event-stream\r\n\r\n',
    )
    await until(() => emitter.stats().connections === 1, 'paused stream open')
    await new Promise((resolve) => setTimeout(resolve, 200))
    const handed = emitter.stats().bytesWritten - before
    // Kernel socket buffers on loopback take up to ~10 MB (send and receive
    // buffers); what the server itself holds is at most one page beyond that,
    // never the 40 MB replay.
    expect(handed).toBeLessThan(16_000_000)
    socket.destroy()
  })
})

describe('options', () => {
  it('refuses an emitter whose timers would overflow or whose bounds are unbounded, naming the option', () => {
    for (const options of [
      { heartbeatMs: Number.POSITIVE_INFINITY },
      { heartbeatMs: 3e9 },
      { retryMs: Number.POSITIVE_INFINITY },
      { maxBufferBytes: Number.POSITIVE_INFINITY },
      { history: { maxAgeMs: Number.POSITIVE_INFINITY } },
      { history: { maxEvents: -1 } },
      { cors: { origin: ['*'], maxAgeSec: 1e12 } },
    ]) {
      expect(() => createEmitter(events, options)).toThrow(OptionError)
    }
    const emitter = createEmitter(events)
    expect(() => emitter.close({ drainMs: Number.POSITIVE_INFINITY })).toThrow(/drainMs/)
  })
})

describe('the Fetch handler, a reader that stops reading', () => {
  it('holds at most a page of replay per stream, and goes on as the reader reads', async () => {
    const maxBufferBytes = 100_000
    const emitter = createEmitter(events, {
      history: { epoch: 'ep', maxEvents: 1000 },
      maxBufferBytes,
    })
    const text = 'y'.repeat(10_000)
    for (let i = 0; i < 100; i++) emitter.emit('blob', { text })
    const streams = await Promise.all(
      Array.from({ length: 20 }, () =>
        emitter.fetch(
          new Request('http://test.local/events', { headers: { 'Last-Event-ID': 'ep-0' } }),
        ),
      ),
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    // 20 streams resuming 1 MB each: what was handed over is bounded by a page each.
    const held = emitter.stats().bytesWritten
    expect(held).toBeLessThanOrEqual(20 * (maxBufferBytes / 2 + 10_100 + 200))
    // A reader that reads gets everything, in order.
    const body = streams[0]!.body!.getReader()
    let received = ''
    while (!received.includes('id:ep-100\n')) {
      const { value, done } = await body.read()
      if (done) break
      received += new TextDecoder().decode(value)
    }
    expect([...received.matchAll(/^id:ep-(\d+)$/gm)].map((m) => Number(m[1]))).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    )
    await body.cancel()
    for (const response of streams.slice(1)) await response.body?.cancel()
    await emitter.close()
  })

  it('answers a Fetch request whose CORS predicate throws with a 500, never a rejection', async () => {
    const emitter = createEmitter(events, {
      cors: {
        origin: () => {
          throw new HttpError('forbidden', 'not a refusal the app meant to send')
        },
      },
    })
    const response = await emitter.fetch(
      new Request('http://test.local/events', { headers: { Origin: 'https://x.example' } }),
    )
    expect(response.status).toBe(500)
    await emitter.close()
  })
})
