import type { ServerResponse } from 'node:http'
import { createEmitter } from '@tidings/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../../test/support/net.js'
import { events } from './fixtures/contract.js'
import { CONTRACT, listen, runPiped, type TestServer } from './support.js'

// Piped, as in `tidings tail ... | jq`: no colours, events on stdout, the rest on stderr.

describe('tidings tail against a Tidings server', () => {
  // validate: false lets the test emit a payload the contract refuses.
  const emitter = createEmitter(events, { heartbeatMs: 300, retryMs: 50, validate: false })
  let server: TestServer

  beforeAll(async () => {
    server = await listen((req, res) => void emitter.handle(req, res))
  })
  afterAll(async () => {
    await emitter.close()
    await server.close()
  })

  it('prints events, marks invalid ones, shows heartbeats, and resumes after a drop', async () => {
    const run = runPiped(['tail', `${server.url}/events`, '--contract', CONTRACT, '-t', 'orders'])
    await run.waitFor(/\[hello\] Tidings stream, heartbeat every 0\.3 s$/, 'err')
    await run.waitFor(/\[open\] sse, HTTP 200, text\/event-stream/, 'err')

    const first = emitter.to('orders').emit('order:placed', { id: 'o1', total: 3 })
    // Past the types on purpose: the server does not validate here, the tail must.
    emitter.emit('tick', { n: 'not a number' } as unknown as { n: number })
    emitter.to('elsewhere').emit('order:placed', { id: 'not for us', total: 0 })
    await run.waitFor(new RegExp(`  order:placed  ${first}  \\{"id":"o1","total":3\\}$`))
    await run.waitFor(/ {2}tick {2}\S+ {2}\{"n":"not a number"\} \[invalid\] n: .*number/)
    await run.waitFor(
      /\[heartbeat\] \d+\.\d s since the last byte \(announced every 0\.3 s\)$/,
      'err',
    )

    // Cut the connection, and emit while the client is away: the resume brings it.
    const last = emitter.emit('tick', { n: 1 })
    await run.waitFor(new RegExp(`  tick  ${last}  `))
    server.dropAll()
    const missed = emitter.to('orders').emit('order:placed', { id: 'o2', total: 5 })
    await run.waitFor(/\[reconnecting\] attempt 1 in \d+\.\d s: ConnectionError/, 'err')
    await run.waitFor(
      new RegExp(`\\[connecting\\] ${server.url}/events\\?topic=orders&lastEventId=${last}$`),
      'err',
    )
    await run.waitFor(new RegExp(`  order:placed  ${missed}  \\{"id":"o2","total":5\\}$`))

    run.interrupt()
    expect(await run.exit).toBe(0)
    expect(run.err.at(-1)).toMatch(/\[closed\] interrupted$/)
    // Each event once, none of another topic; every stdout line is an event.
    const names = run.out.map((line) => line.split('  ')[1])
    expect(names).toEqual(['order:placed', 'tick', 'tick', 'order:placed'])
    expect(run.out.join('\n')).not.toContain('not for us')
  })

  it('--json writes one JSON object per line, stdout only', async () => {
    const id = emitter.emit('tick', { n: 42 })
    const run = runPiped(['tail', `${server.url}/events`, '--json', '--replay', '1'])
    await run.waitFor(/"type":"event"/)
    run.interrupt()
    expect(await run.exit).toBe(0)
    expect(run.err).toEqual([])
    const records = run.out.map((line) => JSON.parse(line))
    expect(records.map((record) => record.type)).toEqual(
      expect.arrayContaining(['connecting', 'open', 'hello', 'event', 'closed']),
    )
    expect(records.find((record) => record.type === 'event')).toMatchObject({
      event: 'tick',
      id,
      data: '{"n":42}',
      payload: { n: 42 },
    })
    expect(records.every((record) => !Number.isNaN(Date.parse(record.time)))).toBe(true)
  })

  it('shows the gap when the server cannot resume from --last-event-id', async () => {
    const run = runPiped(['tail', `${server.url}/events`, '--last-event-id', 'zz0000000000-5'])
    await run.waitFor(/\[connecting\] .*\?lastEventId=zz0000000000-5$/, 'err')
    await run.waitFor(
      /\[gap\] other-epoch: events after zz0000000000-5 may have been missed$/,
      'err',
    )
    run.interrupt()
    expect(await run.exit).toBe(0)
  })
})

describe('tidings tail against a foreign SSE server', () => {
  const seen: Array<string | undefined> = []
  let server: TestServer
  const open = new Set<ServerResponse>()

  beforeAll(async () => {
    server = await listen((req, res) => {
      const path = req.url ?? ''
      if (path === '/missing') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such stream')
        return
      }
      if (path === '/silent') {
        // Announces a heartbeat, then never keeps its word.
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write(': tidings heartbeat=300\n\n')
        open.add(res)
        return
      }
      const lastEventId = req.headers['last-event-id'] as string | undefined
      seen.push(lastEventId)
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      if (lastEventId === undefined) {
        // No hello comment, an unnamed multi-line event without an id, ids of its own.
        res.write(': keepalive\n\n')
        res.write('data: first line\ndata: second line\n\n')
        res.write('id: order-7\nevent: order\ndata: {"n":7}\n\n')
        res.end()
      } else {
        res.write('id: order-8\nevent: order\ndata: {"n":8}\n\n')
        open.add(res)
      }
    })
  })
  afterAll(async () => {
    for (const res of open) res.destroy()
    await server.close()
  })

  it('prints its events as they are, and resumes with the standard Last-Event-ID header', async () => {
    const run = runPiped(['tail', `${server.url}/feed`])
    await run.waitFor(/ {2}order {2}order-8 {2}\{"n":8\}$/)
    run.interrupt()
    expect(await run.exit).toBe(0)
    expect(run.out.map((line) => line.slice(14))).toEqual([
      'message  -  "first line\\nsecond line"',
      'order  order-7  {"n":7}',
      'order  order-8  {"n":8}',
    ])
    expect(seen.slice(0, 2)).toEqual([undefined, 'order-7'])
    const story = run.err.map((line) => line.slice(14))
    expect(story).toContain('[comment] keepalive')
    expect(story).toContainEqual(
      expect.stringMatching(/^\[reconnecting\] attempt 1 in \d+\.\d s: the stream ended$/),
    )
    expect(story.some((line) => line.startsWith('[hello]'))).toBe(false)
    expect(story).toContain(`[connecting] ${server.url}/feed Last-Event-ID: order-7`)
  })

  it('warns when a stream goes silent past its heartbeat, then replaces it', async () => {
    const run = runPiped(['tail', `${server.url}/silent`])
    await run.waitFor(/\[silent\] no data for \d+\.\d s; heartbeat announced every 0\.3 s$/, 'err')
    // The client's idle timeout: twice the heartbeat plus 5 s.
    await run.waitFor(/\[reconnecting\] attempt 1 in .*ConnectionError: No data for 5600 ms/, 'err')
    run.interrupt()
    expect(await run.exit).toBe(0)
  })

  it('exits 1 with a one-line reason on a fatal HTTP status', async () => {
    const run = runPiped(['tail', `${server.url}/missing`])
    expect(await run.exit).toBe(1)
    const reasons = run.err.filter((line) => line.startsWith('tidings: '))
    expect(reasons).toEqual([
      `tidings: ${reasons[0]?.match(/^tidings: (\w+Error):/)?.[1]}: ${server.url}/missing answered HTTP 404`,
    ])
    expect(run.err.at(-1)).toBe(reasons[0])
    expect(reasons[0]).toMatch(/^tidings: (HttpError|ResponseError): /)
  })

  it('exits 1 once --max-attempts attempts failed, naming the network error', async () => {
    const port = await freePort()
    const run = runPiped(['tail', `http://127.0.0.1:${port}/`, '--max-attempts', '1'])
    expect(await run.exit).toBe(1)
    expect(run.err.at(-1)).toMatch(
      /^tidings: ConnectionError: The connection to .* failed: fetch failed: .*ECONNREFUSED/,
    )
  })

  it('exits 2 on a usage error', async () => {
    const run = runPiped(['tail', 'not-a-url'])
    expect(await run.exit).toBe(2)
    expect(run.err).toEqual(['tidings: "not-a-url" is not a URL: give a full http(s) URL.'])
    const bad = runPiped(['tail', server.url, '--header', 'no colon'])
    expect(await bad.exit).toBe(2)
    expect(bad.err[0]).toMatch(/option '-H, --header <header>' argument 'no colon' is invalid/)
  })
})
