import { defineEvents, ValidationError } from '@tidings/schema'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ConnectionError, historyPages, ResponseError, readHistory } from './index.js'

const URL_ = 'http://tidings.test/runs/events'
const events = defineEvents({
  'run:token': z.object({ index: z.number(), text: z.string() }),
  stamped: z.object({ at: z.string().transform((s) => new Date(s)) }),
})

const seen: Request[] = []
let answer: (request: Request) => Response = () => HttpResponse.json(page([]))
const server = setupServer(
  http.get(URL_, ({ request }) => {
    seen.push(request)
    return answer(request)
  }),
)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  seen.length = 0
  answer = () => HttpResponse.json(page([]))
})
afterAll(() => server.close())

type Entry = { id: string; event: string; data: unknown }
const page = (entries: Entry[], more: Partial<Record<string, unknown>> = {}) => ({
  events: entries,
  next: entries.at(-1)?.id ?? 'e1-0',
  last: true,
  ended: false,
  gap: null,
  ...more,
})
const token = (seq: number): Entry => ({
  id: `e1-${seq}`,
  event: 'run:token',
  data: { index: seq, text: `t${seq}` },
})

describe('readHistory', () => {
  it('asks for JSON with the topics, after and limit, and returns a typed, validated page', async () => {
    answer = () =>
      HttpResponse.json(
        page(
          [
            token(4),
            { id: 'e1-5', event: 'stamped', data: { at: '2026-01-02T00:00:00.000Z' } },
            // A newer server's event: left out, as the stream ignores it.
            { id: 'e1-6', event: 'run:usage', data: { tokens: 3 } },
            { id: 'e1-7', event: 'tidings:end', data: { topic: 'run:1', reason: 'complete' } },
          ],
          { ended: true },
        ),
      )
    const result = await readHistory(events, URL_, {
      topics: ['run:1', 'run:2'],
      after: 'e1-3',
      limit: 50,
      headers: { authorization: 'Bearer x' },
    })
    const request = seen[0] as Request
    const url = new URL(request.url)
    expect(url.searchParams.getAll('topic')).toEqual(['run:1', 'run:2'])
    expect(url.searchParams.get('after')).toBe('e1-3')
    expect(url.searchParams.get('limit')).toBe('50')
    expect(request.headers.get('accept')).toBe('application/json')
    expect(request.headers.get('authorization')).toBe('Bearer x')
    expect(result.events.map((entry) => entry.event)).toEqual([
      'run:token',
      'stamped',
      'tidings:end',
    ])
    const stamped = result.events[1]
    expect(stamped?.event === 'stamped' && stamped.data.at).toBeInstanceOf(Date)
    expect(result.events[2]).toEqual({
      id: 'e1-7',
      event: 'tidings:end',
      data: { topic: 'run:1', reason: 'complete' },
    })
    expect(result).toMatchObject({ next: 'e1-7', last: true, ended: true, gap: null })
  })

  it('sends no after or limit when not given, and passes a gap through', async () => {
    answer = () =>
      HttpResponse.json(page([token(9)], { gap: { reason: 'expired', lastEventId: 'e1-1' } }))
    const result = await readHistory(events, `${URL_}?tenant=a`, { topics: ['run:1'] })
    const url = new URL((seen[0] as Request).url)
    expect([...url.searchParams.keys()]).toEqual(['tenant', 'topic'])
    expect(result.gap).toEqual({ reason: 'expired', lastEventId: 'e1-1' })
  })

  it('throws a ResponseError with the status and the server message for an error status', async () => {
    answer = () =>
      HttpResponse.json(
        { error: { code: 'history_expired', message: 'The history no longer reaches e1-1' } },
        { status: 410 },
      )
    const error = await readHistory(events, URL_, { after: 'e1-1' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ResponseError)
    expect(error).toMatchObject({ code: 'http_status', status: 410 })
    expect((error as Error).message).toContain(
      'history_expired: The history no longer reaches e1-1',
    )
  })

  it('throws content_type for a body that is not JSON (a server without history reads)', async () => {
    answer = () =>
      new HttpResponse(': tidings heartbeat=15000\n\n', {
        headers: { 'content-type': 'text/event-stream' },
      })
    await expect(readHistory(events, URL_)).rejects.toMatchObject({
      name: 'ResponseError',
      code: 'content_type',
      status: 200,
    })
  })

  it('throws invalid_body for JSON that is not a history page', async () => {
    for (const body of [
      { events: [] },
      [],
      page([{ id: 1, event: 'run:token', data: {} } as never]),
    ]) {
      answer = () => HttpResponse.json(body)
      await expect(readHistory(events, URL_)).rejects.toMatchObject({ code: 'invalid_body' })
    }
    answer = () => new HttpResponse('{oops', { headers: { 'content-type': 'application/json' } })
    await expect(readHistory(events, URL_)).rejects.toMatchObject({ code: 'invalid_body' })
  })

  it('throws a ValidationError naming the event and id of an invalid payload or end', async () => {
    answer = () =>
      HttpResponse.json(page([{ id: 'e1-2', event: 'run:token', data: { index: 'two' } }]))
    const error = await readHistory(events, URL_).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect(error).toMatchObject({ event: 'run:token', id: 'e1-2' })
    answer = () => HttpResponse.json(page([{ id: 'e1-3', event: 'tidings:end', data: {} }]))
    await expect(readHistory(events, URL_)).rejects.toMatchObject({
      event: 'tidings:end',
      id: 'e1-3',
    })
  })

  it('throws a ConnectionError when the request fails, and the reason when aborted', async () => {
    answer = () => HttpResponse.error()
    await expect(readHistory(events, URL_)).rejects.toBeInstanceOf(ConnectionError)
    const controller = new AbortController()
    const reason = new Error('left the page')
    controller.abort(reason)
    await expect(readHistory(events, URL_, { signal: controller.signal })).rejects.toBe(reason)
  })

  it('uses the fetch option', async () => {
    const urls: string[] = []
    const result = await readHistory(events, URL_, {
      fetch: async (url) => {
        urls.push(url)
        return {
          status: 200,
          headers: { get: () => 'application/json; charset=utf-8' },
          text: async () => JSON.stringify(page([token(1)])),
        }
      },
    })
    expect(urls).toEqual([URL_])
    expect(result.events).toHaveLength(1)
    expect(seen).toEqual([])
  })
})

describe('historyPages', () => {
  it('reads page after page from each next until the last one', async () => {
    answer = (request) => {
      const after = new URL(request.url).searchParams.get('after')
      const from = after === null ? 1 : Number(after.split('-')[1]) + 1
      const entries = [token(from), token(from + 1)]
      return HttpResponse.json(page(entries, { last: from + 1 >= 6 }))
    }
    const pages = []
    for await (const one of historyPages(events, URL_, { topics: ['run:1'], limit: 2 })) {
      pages.push(one.events.map((entry) => entry.id))
    }
    expect(pages).toEqual([
      ['e1-1', 'e1-2'],
      ['e1-3', 'e1-4'],
      ['e1-5', 'e1-6'],
    ])
    expect(seen.map((request) => new URL(request.url).searchParams.get('after'))).toEqual([
      null,
      'e1-2',
      'e1-4',
    ])
  })

  it('goes on past an empty page that moved next, and stops at one that did not', async () => {
    answer = (request) => {
      const after = new URL(request.url).searchParams.get('after')
      // The first page skipped other topics' events: empty, yet it moved on.
      if (after === null) return HttpResponse.json(page([], { next: 'e1-5', last: false }))
      if (after === 'e1-5') return HttpResponse.json(page([token(6)], { last: false }))
      return HttpResponse.json(page([], { next: after, last: false }))
    }
    const pages = []
    for await (const one of historyPages(events, URL_)) pages.push(one.events.length)
    expect(pages).toEqual([0, 1, 0])
    expect(seen.map((request) => new URL(request.url).searchParams.get('after'))).toEqual([
      null,
      'e1-5',
      'e1-6',
    ])
  })
})
