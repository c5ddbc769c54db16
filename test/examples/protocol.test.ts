import { createServer, type Server } from 'node:http'
import { defineEvents } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { freePort } from '../support/net.js'

// docs/protocol.md shows the exact bytes of a stream; these checks keep its
// samples true against the real server.

const events = defineEvents({ 'server-time': z.object({ time: z.number() }) })

describe('docs/protocol.md samples', () => {
  const emitter = createEmitter(events, { heartbeatMs: 15_000 })
  let server: Server
  let base: string

  beforeAll(async () => {
    const port = await freePort()
    server = createServer((req, res) => void emitter.handle(req, res))
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${port}/events`
  })

  afterAll(async () => {
    await emitter.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  /** Reads a stream until `blocks` blank-line-terminated blocks have arrived, then cancels it. */
  async function read(response: Response, blocks: number): Promise<string> {
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    for (let i = 0; i < 100 && text.split('\n\n').length <= blocks; i++) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
    await reader.cancel()
    return text
  }

  it('starts a fresh stream with the hello comment, a retry hint and a bookmark', async () => {
    const response = await fetch(`${base}?topic=room:lobby`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform')
    expect(response.headers.get('x-accel-buffering')).toBe('no')
    expect(response.headers.get('content-encoding')).toBeNull()
    const text = await read(response, 1)
    expect(text).toMatch(/^: tidings heartbeat=15000\nretry:\d+\nid:[0-9a-z]{1,32}-\d+\n\n$/)
    const retry = Number(/retry:(\d+)/.exec(text)?.[1])
    expect(retry).toBeGreaterThanOrEqual(1500)
    expect(retry).toBeLessThan(4500)
  })

  it('writes events as id, event and data lines', async () => {
    const response = await fetch(base)
    // The response has arrived, so the stream is open: the event arrives live.
    const reading = read(response, 2)
    const id = emitter.emit('server-time', { time: 1764010000000 })
    const text = await reading
    expect(text.split('\n\n')[1]).toBe(`id:${id}\nevent:server-time\ndata:{"time":1764010000000}`)
  })

  it('answers an id it cannot resume from with a gap event, not an error status', async () => {
    const response = await fetch(base, { headers: { 'Last-Event-ID': 'not-an-id' } })
    expect(response.status).toBe(200)
    const text = await read(response, 2)
    expect(text).toMatch(
      /\nid:[0-9a-z]+-\d+\nevent:tidings:gap\ndata:\{"reason":"malformed","lastEventId":"not-an-id"\}\n\n$/,
    )
  })

  it('refuses a bad topic with 400 and a JSON error body', async () => {
    const response = await fetch(`${base}?topic=${encodeURIComponent('a b')}`)
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      error: {
        code: 'invalid_topic',
        message:
          'Topic "a b" is invalid: a topic is 1 to 128 characters of A-Z, a-z, 0-9, "_", ".", ":" and "-".',
      },
    })
  })

  it('refuses other methods with 405 and Allow: GET, OPTIONS', async () => {
    const response = await fetch(base, { method: 'POST' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, OPTIONS')
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'method_not_allowed',
    )
  })
})
