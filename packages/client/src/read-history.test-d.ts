import { defineEvents, type GapInfo } from '@tidings/schema'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  type EndInfo,
  type HistoryEvent,
  type HistoryFetchLike,
  historyPages,
  readHistory,
  type TypedHistoryPage,
} from './index.js'

const events = defineEvents({
  'run:token': z.object({ index: z.number(), text: z.string() }),
  stamped: z.object({ at: z.string().transform((s) => new Date(s)) }),
})

describe('history types', () => {
  it('returns a page of the contract: entries narrow by event name to their output', async () => {
    const page = await readHistory(events, '/events', {
      topics: ['run:1'],
      after: 'a-1',
      limit: 10,
    })
    expectTypeOf(page).toEqualTypeOf<TypedHistoryPage<typeof events>>()
    expectTypeOf(page.next).toEqualTypeOf<string>()
    expectTypeOf(page.last).toEqualTypeOf<boolean>()
    expectTypeOf(page.ended).toEqualTypeOf<boolean>()
    expectTypeOf(page.gap).toEqualTypeOf<GapInfo | null>()
    for (const entry of page.events) {
      expectTypeOf(entry.id).toEqualTypeOf<string>()
      expectTypeOf(entry.event).toEqualTypeOf<'run:token' | 'stamped' | 'tidings:end'>()
      if (entry.event === 'run:token') {
        expectTypeOf(entry.data).toEqualTypeOf<{ index: number; text: string }>()
      } else if (entry.event === 'stamped') {
        expectTypeOf(entry.data.at).toEqualTypeOf<Date>()
      } else {
        expectTypeOf(entry.data).toEqualTypeOf<EndInfo>()
      }
    }
  })

  it('iterates pages with for await', async () => {
    for await (const page of historyPages(events, new URL('http://localhost/events'))) {
      expectTypeOf(page.events).toEqualTypeOf<readonly HistoryEvent<typeof events>[]>()
    }
  })

  it('takes the global fetch and rejects wrong options', () => {
    expectTypeOf(fetch).toExtend<HistoryFetchLike>()
    // @ts-expect-error topics is a list
    readHistory(events, '/events', { topics: 'run:1' })
    // @ts-expect-error limit is a number
    readHistory(events, '/events', { limit: '10' })
  })
})
