import {
  ContractError,
  createParser,
  defineEvents,
  isValidationError,
  type ParsedEvent,
} from '@tidings/schema'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createEmitter, type Emitter } from './create-emitter.js'
import { EmitError } from './errors.js'

const events = defineEvents({
  tick: z.object({ n: z.number() }),
  note: z.object({ text: z.string() }),
})
type Events = typeof events

/** Reads a Fetch stream into parsed events, one `next()` at a time. */
function reader(response: Response) {
  const body = response.body!.getReader()
  const queue: ParsedEvent[] = []
  const comments: string[] = []
  const retries: number[] = []
  const parser = createParser({
    onEvent: (event) => queue.push(event),
    onComment: (c) => comments.push(c),
    onRetry: (ms) => retries.push(ms),
  })
  return {
    comments,
    retries,
    async next(): Promise<ParsedEvent> {
      for (let i = 0; i < 100 && queue.length === 0; i++) {
        const { value, done } = await body.read()
        if (done) throw new Error('stream ended')
        parser.feed(value)
      }
      const event = queue.shift()
      if (!event) throw new Error('no event')
      return event
    },
    async take(count: number): Promise<ParsedEvent[]> {
      const out: ParsedEvent[] = []
      for (let i = 0; i < count; i++) out.push(await this.next())
      return out
    },
    cancel: () => body.cancel(),
  }
}

const open = (emitter: Emitter<Events>, query = '', headers: Record<string, string> = {}) =>
  emitter.fetch(new Request(`http://test.local/events${query}`, { headers }))

describe('createEmitter', () => {
  let emitter: Emitter<Events>
  afterEach(async () => {
    await emitter?.close()
  })

  it('validates before storing or sending; invalid payloads throw at the caller and reach nobody', async () => {
    emitter = createEmitter(events, { history: { epoch: 'ep' } })
    const stream = reader(await open(emitter))
    // @ts-expect-error runtime check of a forced wrong payload
    expect(() => emitter.emit('tick', { n: 'x' })).toThrowError(
      /Invalid payload for event "tick" at n/,
    )
    try {
      // @ts-expect-error forced
      emitter.emit('tick', {})
    } catch (error) {
      expect(isValidationError(error)).toBe(true)
    }
    // @ts-expect-error forced unknown name
    expect(() => emitter.emit('nope', {})).toThrow(ContractError)
    expect(emitter.stats().headId).toBe('ep-0')
    expect(emitter.emit('tick', { n: 1 })).toBe('ep-1')
    expect(await stream.next()).toEqual({ event: 'tick', data: '{"n":1}', id: 'ep-1' })
  })

  it('skips validation with validate: false, but still refuses unknown names', () => {
    emitter = createEmitter(events, { validate: false, history: { epoch: 'ep' } })
    // @ts-expect-error forced
    expect(emitter.emit('tick', { n: 'x' })).toBe('ep-1')
    // @ts-expect-error forced
    expect(() => emitter.emit('nope', {})).toThrow(ContractError)
  })

  it('refuses invalid topics in to()', () => {
    emitter = createEmitter(events)
    expect(() => emitter.to('has space')).toThrow(EmitError)
    expect(() => emitter.to([])).toThrow(EmitError)
    expect(() => emitter.to('x'.repeat(129))).toThrow(EmitError)
  })

  it('starts a fresh stream with hello, jittered retry and a bookmark at the head', async () => {
    emitter = createEmitter(events, { history: { epoch: 'ep' }, heartbeatMs: 1000, retryMs: 2000 })
    emitter.emit('tick', { n: 1 })
    const response = await open(emitter)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform')
    expect(response.headers.get('x-accel-buffering')).toBe('no')
    expect(response.headers.get('connection')).toBeNull()
    const body = response.body!.getReader()
    const first = new TextDecoder().decode((await body.read()).value)
    expect(first).toMatch(/^: tidings heartbeat=1000\nretry:(\d+)\nid:ep-1\n\n$/)
    const retry = Number(/retry:(\d+)/.exec(first)![1])
    expect(retry).toBeGreaterThanOrEqual(1000)
    expect(retry).toBeLessThan(3000)
    await body.cancel()
  })

  it('coalesces the events of one tick into one chunk per connection', async () => {
    emitter = createEmitter(events, { history: { epoch: 'ep' } })
    const response = await open(emitter)
    const body = response.body!.getReader()
    await body.read()
    for (let n = 1; n <= 3; n++) emitter.emit('tick', { n })
    const chunk = new TextDecoder().decode((await body.read()).value)
    expect(chunk.match(/event:tick/g)).toHaveLength(3)
    await body.cancel()
  })

  it('delivers topic events only to subscribers, broadcasts to all, each once', async () => {
    emitter = createEmitter(events, { history: { epoch: 'ep' } })
    const a = reader(await open(emitter, '?topic=a'))
    const ab = reader(await open(emitter, '?topic=a&topic=b&topic=a'))
    const none = reader(await open(emitter))
    emitter.to('b').emit('tick', { n: 1 })
    emitter.to(['a', 'b']).emit('tick', { n: 2 })
    emitter.emit('tick', { n: 3 })
    expect((await a.take(2)).map((e) => e.id)).toEqual(['ep-2', 'ep-3'])
    expect((await ab.take(3)).map((e) => e.id)).toEqual(['ep-1', 'ep-2', 'ep-3'])
    expect((await none.take(1)).map((e) => e.id)).toEqual(['ep-3'])
  })

  it('replays after Last-Event-ID (header wins over the query) for the topics asked', async () => {
    emitter = createEmitter(events, { history: { epoch: 'ep' } })
    emitter.to('a').emit('tick', { n: 1 })
    emitter.to('b').emit('tick', { n: 2 })
    emitter.emit('tick', { n: 3 })
    const stream = reader(
      await open(emitter, '?topic=a&lastEventId=ep-2', { 'Last-Event-ID': 'ep-0' }),
    )
    emitter.to('a').emit('tick', { n: 4 })
    expect((await stream.take(3)).map((e) => e.id)).toEqual(['ep-1', 'ep-3', 'ep-4'])
    const viaQuery = reader(await open(emitter, '?topic=a&lastEventId=ep-2'))
    emitter.emit('tick', { n: 5 })
    expect((await viaQuery.take(3)).map((e) => e.id)).toEqual(['ep-3', 'ep-4', 'ep-5'])
  })

  it('names the topics of each event with eventTopics=1, in the replay and live; others get none', async () => {
    emitter = createEmitter(events, { history: { epoch: 'ep' } })
    emitter.to(['a', 'b']).emit('tick', { n: 1 })
    emitter.emit('tick', { n: 2 })
    const read = async (response: Response, until: string) => {
      const body = response.body!.getReader()
      let text = ''
      for (let i = 0; i < 100 && !text.includes(until); i++) {
        text += new TextDecoder().decode((await body.read()).value)
      }
      await body.cancel()
      return text.slice(text.indexOf('\n\n') + 2)
    }
    const tagged = open(emitter, '?topic=a&topic=c&eventTopics=1&lastEventId=ep-0')
    const plain = open(emitter, '?topic=a&topic=c&lastEventId=ep-0')
    const [taggedResponse, plainResponse] = await Promise.all([tagged, plain])
    emitter.to('c').emit('tick', { n: 3 })
    expect(await read(taggedResponse, 'id:ep-3')).toBe(
      ': topics a,b\nid:ep-1\nevent:tick\ndata:{"n":1}\n\n' +
        'id:ep-2\nevent:tick\ndata:{"n":2}\n\n' +
        ': topics c\nid:ep-3\nevent:tick\ndata:{"n":3}\n\n',
    )
    expect(await read(plainResponse, 'id:ep-3')).not.toContain(': topics')
  })

  it('switches from replay to live with no duplicate when events are pending in the same tick', async () => {
    emitter = createEmitter(events, { history: { epoch: 'ep' } })
    emitter.emit('tick', { n: 1 })
    emitter.emit('tick', { n: 2 })
    await new Promise((resolve) => setImmediate(resolve))
    // The handler resumes before the flush of the next emit: the pending event
    // is in history AND in the live queue.
    const pending = open(emitter, '', { 'Last-Event-ID': 'ep-1' })
    emitter.emit('tick', { n: 3 })
    const stream = reader(await pending)
    emitter.emit('tick', { n: 4 })
    expect((await stream.take(3)).map((e) => e.id)).toEqual(['ep-2', 'ep-3', 'ep-4'])
  })

  it('sends a gap event for ids it cannot resume from, then goes live', async () => {
    emitter = createEmitter(events, { history: { epoch: 'ep', maxEvents: 2 } })
    for (let n = 1; n <= 5; n++) emitter.emit('tick', { n })
    const cases: [string, string][] = [
      ['ep-1', 'expired'],
      ['ep-9', 'unknown'],
      ['zz-3', 'other-epoch'],
      ['nonsense', 'malformed'],
      ['x'.repeat(9000), 'malformed'],
    ]
    for (const [id, reason] of cases) {
      const stream = reader(await open(emitter, '', { 'Last-Event-ID': id }))
      const gap = await stream.next()
      expect(gap.event).toBe('tidings:gap')
      expect(gap.id).toBe('ep-5')
      expect(JSON.parse(gap.data)).toEqual({ reason, lastEventId: id.slice(0, 256) })
      await stream.cancel()
    }
  })

  it('replays the newest N events to a fresh connection, bounded by maxReplay', async () => {
    emitter = createEmitter(events, { history: { epoch: 'ep' }, maxReplay: 2 })
    for (let n = 1; n <= 5; n++) emitter.emit('tick', { n })
    const stream = reader(await open(emitter, '?replay=10'))
    emitter.emit('tick', { n: 6 })
    expect((await stream.take(3)).map((e) => e.id)).toEqual(['ep-4', 'ep-5', 'ep-6'])
  })

  it('counts in stats', async () => {
    emitter = createEmitter(events, { history: { epoch: 'ep' } })
    const stream = reader(await open(emitter))
    emitter.emit('tick', { n: 1 })
    await stream.next()
    const stats = emitter.stats()
    expect(stats).toMatchObject({
      connections: 1,
      connectionsOpened: 1,
      eventsEmitted: 1,
      headId: 'ep-1',
    })
    expect(stats.bytesWritten).toBeGreaterThan(0)
    await stream.cancel()
    expect(emitter.stats().connections).toBe(0)
  })
})

describe('authorize refusals', () => {
  it('honours an HttpError thrown by another copy of the package (it carries the brand)', async () => {
    const emitter = createEmitter(events, {
      authorize: () => {
        const error = Object.assign(new Error('Go away.'), { name: 'HttpError', code: 'forbidden' })
        throw Object.defineProperty(error, Symbol.for('tidings.error'), { value: 'TidingsError' })
      },
    })
    const response = await emitter.fetch(new Request('http://test.local/'))
    expect(response.status).toBe(403)
    expect(await response.json()).toEqual({ error: { code: 'forbidden', message: 'Go away.' } })
    await emitter.close()
  })

  it('never sends the message of a foreign error that merely calls itself HttpError', async () => {
    const reported: unknown[] = []
    const emitter = createEmitter(events, {
      onError: (error) => reported.push(error),
      authorize: () => {
        throw Object.assign(new Error('db password is hunter2'), {
          name: 'HttpError',
          code: 'forbidden',
        })
      },
    })
    const response = await emitter.fetch(new Request('http://test.local/'))
    expect(response.status).toBe(500)
    const body = await response.text()
    expect(body).not.toContain('hunter2')
    expect(JSON.parse(body).error.code).toBe('internal')
    expect(reported).toHaveLength(1)
    await emitter.close()
  })
})
