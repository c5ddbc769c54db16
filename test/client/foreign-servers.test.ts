import { type AddressInfo, createServer, type Socket } from 'node:net'
import { type ClientError, ConnectionError, createClient, type DebugInfo } from '@tidings/client'
import { defineEvents } from '@tidings/schema'
import { createSession } from 'better-sse'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { serveNode, until } from './support.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('servers that are not Tidings', () => {
  // The seed article's PHP/Python loop (an Opera 9 `server-time` stream), with today's
  // content type. It writes `Event: server-time`: field names are case-sensitive, so a
  // standard parser ignores that line and dispatches each block as a `message`.
  const seedStream = (fieldName: 'Event' | 'event') => {
    const times: number[] = []
    const listener = (_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' })
      let time = 1_164_000_000
      const write = () => {
        time += 3
        times.push(time)
        res.write(`${fieldName}: server-time\n`)
        res.write(`data: ${time}\n`)
        res.write('\n')
      }
      write()
      const timer = setInterval(write, 5)
      res.on('close', () => clearInterval(timer))
    }
    return { times, listener }
  }
  const seedEvents = defineEvents({ 'server-time': z.number(), message: z.number() })

  it("parses the seed article's stream verbatim, as the standard reads it", async () => {
    const { listener } = seedStream('Event')
    const served = await serveNode(listener)
    cleanups.push(() => served.close())
    const debug: DebugInfo[] = []
    const client = createClient(seedEvents, served.url, { onDebug: (d) => debug.push(d) })
    cleanups.push(() => client.close())
    const messages: Array<[number, string]> = []
    const serverTimes: number[] = []
    client.on('message', (time, meta) => messages.push([time, meta.event]))
    client.on('server-time', (time) => serverTimes.push(time))
    await until(() => messages.length >= 3, 'three messages')
    expect(messages.slice(0, 3)).toEqual([
      [1_164_000_003, 'message'],
      [1_164_000_006, 'message'],
      [1_164_000_009, 'message'],
    ])
    expect(serverTimes).toEqual([])
    expect(client.lastEventId).toBeUndefined()
  })

  it('delivers the same stream with a lowercase event field to the server-time handler', async () => {
    const { listener } = seedStream('event')
    const served = await serveNode(listener)
    cleanups.push(() => served.close())
    const client = createClient(seedEvents, served.url)
    cleanups.push(() => client.close())
    const serverTimes: number[] = []
    client.on('server-time', (time) => serverTimes.push(time))
    await until(() => serverTimes.length >= 3, 'three server-time events')
    expect(serverTimes.slice(0, 3)).toEqual([1_164_000_003, 1_164_000_006, 1_164_000_009])
    // No hello comment and no heartbeat: no idle timeout, so nothing reconnects.
    expect(client.status).toEqual({ state: 'open', transport: 'sse' })
  })

  it('delivers a standard stream whatever its ids look like, and keeps the id across reconnects', async () => {
    const contract = defineEvents({ message: z.number() })
    const lastEventIds: Array<string | undefined> = []
    const served = await serveNode((req, res) => {
      lastEventIds.push(req.headers['last-event-id'] as string | undefined)
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      // No hello comment: not a Tidings stream. Ids go back, repeat, go missing.
      if (lastEventIds.length === 1) {
        res.end(
          'id: order-1\ndata: 1\n\ndata: 2\n\nid: order-7\ndata: 3\n\n' +
            'id: order-5\ndata: 4\n\nid: order-5\ndata: 5\n\nid: order-2\ndata: 6\n\n',
        )
      } else res.write('data: 7\n\n')
    })
    cleanups.push(() => served.close())
    const client = createClient(contract, served.url, { reconnect: { initialDelayMs: 1 } })
    cleanups.push(() => client.close())
    const got: Array<[number, string | undefined]> = []
    client.on('message', (n, { id }) => got.push([n, id]))
    await until(() => got.length >= 7, 'seven events')
    expect(got).toEqual([
      [1, 'order-1'],
      [2, 'order-1'],
      [3, 'order-7'],
      [4, 'order-5'],
      [5, 'order-5'],
      [6, 'order-2'],
      [7, 'order-2'],
    ])
    expect(lastEventIds.slice(0, 2)).toEqual([undefined, 'order-2'])
  })

  it('sends Last-Event-ID as the UTF-8 bytes of the id, whatever its characters', async () => {
    const contract = defineEvents({ message: z.number() })
    const ids = ['caf\u00e9', '\u65e5\u672c\ud83d\ude00', 'plain']
    const received: Array<string | undefined> = []
    const served = await serveNode((req, res) => {
      // Node reads header bytes as Latin-1: turn them back into the bytes sent.
      const header = req.headers['last-event-id'] as string | undefined
      received.push(header === undefined ? undefined : Buffer.from(header, 'latin1').toString())
      const id = ids[received.length - 1]
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end(id === undefined ? '' : `id: ${id}\ndata: ${received.length}\n\n`)
    })
    cleanups.push(() => served.close())
    const client = createClient(contract, served.url, { reconnect: { initialDelayMs: 1 } })
    cleanups.push(() => client.close())
    await until(() => received.length >= 4, 'four connections')
    client.close()
    expect(received.slice(0, 4)).toEqual([undefined, ...ids])
  })

  it('reads a better-sse session, and resumes it with its own ids', async () => {
    const contract = defineEvents({ 'server-time': z.object({ time: z.number() }) })
    const lastEventIds: Array<string | undefined> = []
    let sent = 0
    const served = await serveNode(async (req, res) => {
      lastEventIds.push(req.headers['last-event-id'] as string | undefined)
      const session = await createSession(req, res, { retry: 20, keepAlive: null })
      // Three events per connection, then the server ends the stream.
      for (let i = 0; i < 3; i++) {
        sent++
        session.push({ time: sent }, 'server-time', `bsse-${sent}`)
      }
      setTimeout(() => res.end(), 10)
    })
    cleanups.push(() => served.close())
    const client = createClient(contract, served.url, { reconnect: { initialDelayMs: 1 } })
    cleanups.push(() => client.close())
    const got: Array<[number, string | undefined]> = []
    client.on('server-time', ({ time }, { id }) => got.push([time, id]))
    await until(() => got.length >= 6, 'two connections worth of events')
    client.close()
    expect(got.slice(0, 6)).toEqual([
      [1, 'bsse-1'],
      [2, 'bsse-2'],
      [3, 'bsse-3'],
      [4, 'bsse-4'],
      [5, 'bsse-5'],
      [6, 'bsse-6'],
    ])
    expect(lastEventIds.slice(0, 2)).toEqual([undefined, 'bsse-3'])
  })
})

describe('a server that never answers', () => {
  it('times the attempt out as connect_timeout, then retries with backoff', async () => {
    const sockets: Socket[] = []
    // Accepts connections and reads the request, but never writes a byte.
    const server = createServer((socket) => {
      sockets.push(socket)
      socket.resume()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy()
          server.close(() => resolve())
        }),
    )
    const contract = defineEvents({ message: z.number() })
    const { port } = server.address() as AddressInfo
    const client = createClient(contract, `http://127.0.0.1:${port}/events`, {
      connectTimeoutMs: 100,
      reconnect: { initialDelayMs: 1 },
    })
    cleanups.push(() => client.close())
    const errors: ClientError[] = []
    client.on('tidings:error', (error) => errors.push(error))
    await until(() => sockets.length >= 2, 'a second attempt')
    client.close()
    expect(errors[0]).toBeInstanceOf(ConnectionError)
    expect(errors[0]).toMatchObject({ code: 'connect_timeout', willRetry: true })
  })
})
