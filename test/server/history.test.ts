import { defineEvents, END_EVENT, type HistoryPage } from '@tidings/schema'
import { createEmitter, type Emitter, type EmitterOptions, HttpError } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { HANDLERS, type Served, serveEmitter } from './support.js'

const events = defineEvents({ token: z.object({ text: z.string() }) })
type Events = typeof events

const JSON_ACCEPT = { Accept: 'application/json' }

describe.each(HANDLERS)('history as plain HTTP (%s handler)', (kind) => {
  let emitter: Emitter<Events> | undefined
  let served: Served | undefined
  afterEach(async () => {
    await emitter?.close()
    await served?.close()
    emitter = undefined
    served = undefined
  })

  async function setup(options: EmitterOptions<unknown> & { store?: undefined } = {}) {
    const created = createEmitter(events, { heartbeatMs: 60_000, ...options })
    emitter = created as Emitter<Events>
    served = await serveEmitter(kind, created)
    return { emitter: created, url: `${served.url}/events` }
  }

  /** A whole JSON answer (the shared `request` helper stops at the first chunk of a 200). */
  async function page(url: string, headers: Record<string, string> = {}) {
    const response = await fetch(url, { headers: { ...JSON_ACCEPT, ...headers } })
    const body = await response.text()
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body,
      page: response.status === 200 ? (JSON.parse(body) as HistoryPage) : undefined,
    }
  }

  it('pages through 10,000 events: each exactly once, in order, then a last page', async () => {
    const { emitter, url } = await setup({ history: { maxEvents: 20_000 } })
    for (let i = 0; i < 10_000; i++) {
      emitter.to('run:1').emit('token', { text: String(i) })
      // Another topic interleaved: it must not show up.
      if (i % 3 === 0) emitter.to('run:2').emit('token', { text: 'other' })
    }
    const seen: number[] = []
    let after: string | undefined
    let pages = 0
    for (;;) {
      const query = after === undefined ? '' : `&after=${encodeURIComponent(after)}`
      const { status, page: body, headers } = await page(`${url}?topic=run:1&limit=1000${query}`)
      expect(status).toBe(200)
      pages++
      for (const event of body!.events) seen.push(Number((event.data as { text: string }).text))
      expect(body!.gap).toBeNull()
      if (body!.last) {
        expect(headers['cache-control']).toBe('no-cache')
        break
      }
      expect(body!.events).toHaveLength(1000)
      expect(headers['cache-control']).toBe('public, max-age=31536000, immutable')
      after = body!.next
      if (pages > 20) throw new Error('too many pages')
    }
    expect(seen).toEqual(Array.from({ length: 10_000 }, (_, i) => i))
  })

  it('a full page is byte-identical on repeat, has an ETag, and answers If-None-Match with 304', async () => {
    const { emitter, url } = await setup()
    for (let i = 0; i < 10; i++) emitter.to('run:1').emit('token', { text: String(i) })
    const first = await page(`${url}?topic=run:1&limit=5`)
    expect(first.page!.last).toBe(false)
    emitter.to('run:1').emit('token', { text: 'later' })
    const again = await page(`${url}?topic=run:1&limit=5`)
    expect(again.body).toBe(first.body)
    expect(again.headers.etag).toBe(first.headers.etag)
    expect(first.headers.vary).toContain('Accept')
    const cached = await page(`${url}?topic=run:1&limit=5`, {
      'If-None-Match': first.headers.etag!,
    })
    expect(cached.status).toBe(304)
    expect(cached.body).toBe('')
    // The last page changes as events arrive: revalidated, and its ETag moves.
    const last = await page(`${url}?topic=run:1&after=${first.page!.next}`)
    expect(last.page!.last).toBe(true)
    expect(last.headers['cache-control']).toBe('no-cache')
    emitter.to('run:1').emit('token', { text: 'newer' })
    const stale = await page(`${url}?topic=run:1&after=${first.page!.next}`, {
      'If-None-Match': last.headers.etag!,
    })
    expect(stale.status).toBe(200)
    expect(stale.headers.etag).not.toBe(last.headers.etag)
    expect(emitter.stats().historyReads).toBe(5)
  })

  it('a page stops at the end of its topics: ended and last, even with broadcasts after', async () => {
    const { emitter, url } = await setup()
    emitter.to('run:1').emit('token', { text: 'a' })
    emitter.to('run:1').end('cancelled')
    emitter.emit('token', { text: 'broadcast after the end' })
    const { page: body } = await page(`${url}?topic=run:1`)
    expect(body!.events.map((e) => e.event)).toEqual(['token', END_EVENT])
    expect(body!.events[1]!.data).toEqual({ topic: 'run:1', reason: 'cancelled' })
    expect(body).toMatchObject({ last: true, ended: true, gap: null })
    expect(body!.next).toBe(body!.events[1]!.id)
    // From the end on: nothing more, still ended.
    const after = await page(`${url}?topic=run:1&after=${body!.next}`)
    expect(after.page).toMatchObject({ events: [], last: true, ended: true })
  })

  it('bad ids are a gap in the page, not an error; an end the history dropped still comes', async () => {
    const { emitter, url } = await setup({ history: { maxEvents: 3 } })
    const first = emitter.to('run:1').emit('token', { text: 'gone' })
    emitter.to('run:1').end()
    for (let i = 0; i < 3; i++) emitter.to('run:2').emit('token', { text: String(i) })
    const malformed = await page(`${url}?topic=run:2&after=nonsense`)
    expect(malformed.page!.gap).toEqual({ reason: 'malformed', lastEventId: 'nonsense' })
    expect(malformed.page!.events.map((e) => (e.data as { text: string }).text)).toEqual([
      '0',
      '1',
      '2',
    ])
    expect(malformed.headers['cache-control']).toBe('no-cache')
    const other = await page(`${url}?topic=run:2&after=zz-1`)
    expect(other.page!.gap?.reason).toBe('other-epoch')
    const epoch = first.slice(0, first.lastIndexOf('-'))
    const ahead = await page(`${url}?topic=run:2&after=${epoch}-999`)
    expect(ahead.page).toMatchObject({ events: [], last: true })
    expect(ahead.page!.gap?.reason).toBe('unknown')
    // Its next is the head, where a reader can go on from.
    expect(ahead.page!.next).toBe(emitter.stats().headId)
    const expired = await page(`${url}?topic=run:1&after=${first}`)
    expect(expired.page!.gap?.reason).toBe('expired')
    expect(expired.page!.events.map((e) => e.event)).toEqual([END_EVENT])
    expect(expired.page).toMatchObject({ last: true, ended: true })
  })

  it('answers bad requests with the stream statuses and JSON errors', async () => {
    const { url } = await setup({
      authorize: (req) => {
        if (req.headers.get('authorization') !== 'Bearer ok') {
          throw new HttpError('unauthorized', 'Send a token.')
        }
        return 'ada'
      },
      canSubscribe: (_principal, topic) => topic !== 'secret',
    })
    const auth = { Authorization: 'Bearer ok' }
    const code = async (query: string, headers: Record<string, string> = auth) => {
      const { status, body } = await page(`${url}${query}`, headers)
      return [status, (JSON.parse(body) as { error: { code: string } }).error.code]
    }
    expect(await code('?topic=run:1&limit=0')).toEqual([400, 'invalid_limit'])
    expect(await code('?topic=run:1&limit=abc')).toEqual([400, 'invalid_limit'])
    expect(await code('?topic=bad%20topic')).toEqual([400, 'invalid_topic'])
    expect(await code('?topic=run:1', {})).toEqual([401, 'unauthorized'])
    expect(await code('?topic=secret')).toEqual([403, 'forbidden'])
    // An unknown topic is an empty history, as on the stream; authorised pages are private.
    const empty = await page(`${url}?topic=never&limit=5000`, auth)
    expect(empty.page).toMatchObject({ events: [], last: true, ended: false, gap: null })
  })

  it('full pages of an authorised emitter are cached privately', async () => {
    const { emitter, url } = await setup({ authorize: () => 'ada' })
    for (let i = 0; i < 3; i++) emitter.to('run:1').emit('token', { text: String(i) })
    const { headers } = await page(`${url}?topic=run:1&limit=2`)
    expect(headers['cache-control']).toBe('private, max-age=31536000, immutable')
  })
})
