import { defineEvents, ParseError, ValidationError } from '@tidings/schema'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createDelivery } from './delivery.js'
import type { DebugInfo } from './options.js'

const contract = defineEvents({ tick: z.object({ n: z.number() }) })
const HELLO = ': tidings heartbeat=15000\n\n'
const tick = (id: string, n: number) => `id:${id}\nevent:tick\ndata:{"n":${n}}\n\n`

function setup(initialId?: string, maxLineLength?: number) {
  const emitted: unknown[][] = []
  const reported: unknown[] = []
  const debug: DebugInfo[] = []
  const hints: string[] = []
  let closed = false
  const delivery = createDelivery(
    contract,
    {
      emit: (...args) => emitted.push(args),
      report: (error) => reported.push(error),
      debug: (info) => debug.push(info),
      hello: (ms) => hints.push(`hello ${ms}`),
      retry: (ms) => hints.push(`retry ${ms}`),
      closed: () => closed,
      end: (info) => emitted.push(['end', info]),
    },
    initialId,
    maxLineLength,
  )
  const ticks = () => emitted.filter(([name]) => name === 'tick').map(([, p, m]) => [p, m])
  return { delivery, emitted, reported, debug, hints, ticks, close: () => (closed = true) }
}

describe('createDelivery', () => {
  it('hands the lifecycle the hello heartbeat and retry:, and knows a Tidings stream', () => {
    const { delivery, hints } = setup()
    delivery.start()
    expect(delivery.tidings).toBe(false)
    delivery.feed(`${HELLO}retry:250\n\n`)
    expect(delivery.tidings).toBe(true)
    expect(hints).toEqual(['hello 15000', 'retry 250'])
    delivery.start()
    expect(delivery.tidings).toBe(false)
  })

  it('on a Tidings stream, drops what a replay repeats and reports an unannounced new history', () => {
    const { delivery, ticks, debug, emitted } = setup('e1-2')
    delivery.start()
    expect(delivery.sentId).toBe('e1-2')
    delivery.feed(HELLO + tick('e1-1', 1) + tick('e1-2', 2) + tick('e1-3', 3) + tick('e2-1', 4))
    expect(ticks()).toEqual([
      [{ n: 3 }, { id: 'e1-3', event: 'tick' }],
      [{ n: 4 }, { id: 'e2-1', event: 'tick' }],
    ])
    expect(debug.map((d) => d.type)).toEqual(['duplicate', 'duplicate'])
    expect(emitted.filter(([name]) => name === 'tidings:gap')).toEqual([
      ['tidings:gap', { reason: 'other-epoch', lastEventId: 'e1-3' }],
    ])
    expect(delivery.lastEventId).toBe('e2-1')
  })

  it('passes the server gap on and follows its position, even behind', () => {
    const { delivery, emitted, ticks } = setup('e1-9')
    delivery.start()
    const gap = { reason: 'expired', lastEventId: 'e1-9' }
    delivery.feed(
      `${HELLO}id:e1-3\nevent:tidings:gap\ndata:${JSON.stringify(gap)}\n\n${tick('e1-4', 4)}`,
    )
    expect(emitted[0]).toEqual(['tidings:gap', gap])
    expect(ticks()).toEqual([[{ n: 4 }, { id: 'e1-4', event: 'tick' }]])
  })

  it('hands a Tidings end to the client once, moving the position like any event', () => {
    const { delivery, emitted } = setup('e1-1')
    const end = (id: string) =>
      `id:${id}\nevent:tidings:end\ndata:{"topic":"run:1","reason":"complete"}\n\n`
    delivery.start()
    delivery.feed(HELLO + end('e1-2'))
    expect(emitted).toEqual([['end', { topic: 'run:1', reason: 'complete' }]])
    expect(delivery.lastEventId).toBe('e1-2')
    // A replay that repeats it: dropped, as a duplicate.
    delivery.start()
    delivery.feed(HELLO + end('e1-2'))
    expect(emitted).toHaveLength(1)
  })

  it('delivers every event of another stream, keeping the id across a new connection', () => {
    const { delivery, ticks, debug } = setup()
    delivery.start()
    delivery.feed(tick('order-7', 1) + tick('order-5', 2) + tick('order-5', 3))
    delivery.start()
    delivery.feed('event:tick\ndata:{"n":4}\n\n')
    expect(ticks().map(([, meta]) => (meta as { id: string }).id)).toEqual([
      'order-7',
      'order-5',
      'order-5',
      'order-5',
    ])
    expect(debug).toEqual([])
  })

  it('moves the resume position with a bookmark, and clears it on an empty id', () => {
    const { delivery } = setup()
    delivery.start()
    delivery.feed(`${HELLO}id:e1-41\n\n`)
    expect(delivery.lastEventId).toBe('e1-41')
    delivery.feed('id\n\n')
    expect(delivery.lastEventId).toBeUndefined()
  })

  it('reports invalid payloads and over-long lines, shows unknown events to debug, and goes on', () => {
    const { delivery, reported, debug, ticks } = setup(undefined, 64)
    delivery.start()
    delivery.feed(
      `${tick('a', 1)}event:tick\ndata:{"n":"x"}\n\nevent:other\ndata:1\n\n` +
        `data:${'x'.repeat(100)}\n\n${tick('b', 2)}`,
    )
    expect(ticks().map(([p]) => p)).toEqual([{ n: 1 }, { n: 2 }])
    expect(reported.map((e) => e?.constructor)).toEqual([ValidationError, ParseError])
    expect(debug).toEqual([{ type: 'unknown-event', event: 'other', id: 'a', data: '1' }])
  })

  it('emits nothing once the client closed', () => {
    const { delivery, ticks, close } = setup()
    delivery.start()
    close()
    delivery.feed(tick('a', 1))
    expect(ticks()).toEqual([])
  })

  it('delivers relayed events with the dedupe, gap and validation of its own stream', () => {
    const { delivery, ticks, emitted, reported, debug } = setup('ep-1')
    delivery.start()
    const relayed = (id: string, data: string, event = 'tick') => ({ id, event, data })
    delivery.accept(relayed('ep-1', '{"n":1}'))
    delivery.accept(relayed('ep-2', '{"n":2}'))
    delivery.accept(relayed('ep-2', '{"n":2}'))
    delivery.accept(relayed('ep-3', '{"n":"three"}'))
    delivery.accept(relayed('ep-9', '{"reason":"expired","lastEventId":"ep-3"}', 'tidings:gap'))
    expect(ticks()).toEqual([[{ n: 2 }, { id: 'ep-2', event: 'tick' }]])
    expect(debug.map((d) => d.type)).toEqual(['duplicate', 'duplicate'])
    expect(reported).toHaveLength(1)
    expect(emitted.at(-1)).toEqual(['tidings:gap', { reason: 'expired', lastEventId: 'ep-3' }])
    expect(delivery.lastEventId).toBe('ep-9')
  })
})
