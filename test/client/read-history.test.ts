import { historyPages, ResponseError, readHistory } from '@tidings/client'
import { defineEvents } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { HANDLERS, serveEmitter } from './support.js'

// readHistory and historyPages against a real server's history reads, through
// both handlers: pages in order, typed ends, the gap of an unknown id, and
// the server's refusal of a bad limit as a ResponseError.

const events = defineEvents({
  token: z.object({ n: z.number().int(), at: z.string().transform((s) => new Date(s)) }),
})

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe.each(HANDLERS)('history reads (%s handler)', (kind) => {
  async function setup() {
    const emitter = createEmitter(events)
    const served = await serveEmitter(kind, emitter)
    cleanups.push(
      () => served.close(),
      () => emitter.close(),
    )
    return { emitter, url: `${served.url}/events` }
  }

  it('pages through a run to its end, typed and validated', async () => {
    const { emitter, url } = await setup()
    const at = '2026-01-02T00:00:00.000Z'
    for (let n = 1; n <= 5; n++) emitter.to('run:1').emit('token', { n, at })
    emitter.to('run:2').emit('token', { n: 99, at })
    emitter.to('run:1').end('complete')

    const pages = []
    for await (const page of historyPages(events, url, { topics: ['run:1'], limit: 2 })) {
      pages.push(page)
    }
    const entries = pages.flatMap((page) => page.events)
    expect(entries.map((entry) => (entry.event === 'token' ? entry.data.n : entry.data))).toEqual([
      1,
      2,
      3,
      4,
      5,
      { topic: 'run:1', reason: 'complete' },
    ])
    const first = entries[0]
    expect(first?.event === 'token' && first.data.at).toBeInstanceOf(Date)
    expect(pages.at(-1)).toMatchObject({ last: true, ended: true, gap: null })
    expect(pages.slice(0, -1).every((page) => !page.last && !page.ended)).toBe(true)

    // After the end: nothing more, and the page says it is the last.
    const after = await readHistory(events, url, { topics: ['run:1'], after: entries.at(-1)?.id })
    expect(after.events).toEqual([])
    expect(after.last).toBe(true)
  })

  it('reports a gap for an id from another history, and a refused limit as a ResponseError', async () => {
    const { emitter, url } = await setup()
    emitter.to('run:1').emit('token', { n: 1, at: '2026-01-02T00:00:00.000Z' })
    const page = await readHistory(events, url, { topics: ['run:1'], after: 'zzzz-3' })
    expect(page.gap?.reason).toBe('other-epoch')
    const error = await readHistory(events, url, { topics: ['run:1'], limit: 0 }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ResponseError)
    expect(error).toMatchObject({ code: 'http_status', status: 400 })
    expect((error as Error).message).toContain('invalid_limit')
  })
})
