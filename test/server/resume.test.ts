import { defineEvents, type ParsedEvent } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { seededRandom as random } from '../support/random.js'
import { HANDLERS, openStream, type Served, type Stream, serveEmitter, until } from './support.js'

const events = defineEvents({
  tick: z.object({ n: z.number() }),
  done: z.object({}),
})

const TOPICS = ['a', 'b', 'c'] as const
const TOTAL = 3000
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

interface Sent {
  readonly id: string
  readonly topics: readonly string[] | undefined
}

/**
 * A client that reads its topics and, at seeded random points, drops the
 * connection and resumes from the last id it processed (as an EventSource does).
 */
async function runClient(url: string, topics: readonly string[], rand: () => number) {
  const received: string[] = []
  const query = topics.map((t) => `topic=${t}`).join('&')
  let lastId: string | undefined
  let reconnects = 0
  let gaps = 0
  for (let attempt = 0; attempt < 500; attempt++) {
    const stream: Stream = await openStream(
      `${url}/?${query}`,
      lastId === undefined ? {} : { 'Last-Event-ID': lastId },
    )
    if (lastId === undefined) {
      // A fresh stream starts with a bookmark at the head: resume from there.
      await until(() => stream.text().includes('\n\n'), 'start block')
      lastId = /^id:(.*)$/m.exec(stream.text())?.[1]
    }
    const budget = 1 + Math.floor(rand() * 400)
    let finished = false
    for (let i = 0; i < budget; i++) {
      const event: ParsedEvent = await stream.next()
      if (event.event === 'tidings:gap') gaps++
      lastId = event.id
      if (event.event === 'done') {
        finished = true
        break
      }
      received.push(event.id!)
    }
    stream.close()
    if (finished) return { received, reconnects, gaps }
    reconnects++
  }
  throw new Error('client did not finish')
}

describe.each(HANDLERS)('%s handler: resume under concurrent emit', (kind) => {
  let served: Served | undefined
  afterEach(async () => {
    await served?.close()
  })

  it('delivers every event of a client’s topics exactly once, in order, across random reconnects', async () => {
    const emitter = createEmitter(events, { history: { maxEvents: TOTAL + 10 } })
    served = await serveEmitter(kind, emitter)
    const url = served.url
    const rand = random(kind === 'node' ? 0x5eed : 0xfeed)
    const subscriptions: (readonly string[])[] = [
      [],
      ['a'],
      ['b'],
      ['a', 'c'],
      ['a', 'b', 'c'],
      ['c'],
    ]
    const clients = subscriptions.map((topics, i) => runClient(url, topics, random(1000 + i)))
    await until(() => emitter.stats().connectionsOpened >= subscriptions.length, 'clients')

    const sent: Sent[] = []
    while (sent.length < TOTAL) {
      const batch = 1 + Math.floor(rand() * 20)
      for (let i = 0; i < batch && sent.length < TOTAL; i++) {
        const pick = rand()
        const topics =
          pick < 0.25 ? undefined : pick < 0.85 ? [TOPICS[Math.floor(rand() * 3)]!] : ['a', 'c']
        const n = sent.length
        const id = topics ? emitter.to(topics).emit('tick', { n }) : emitter.emit('tick', { n })
        sent.push({ id, topics })
      }
      await tick()
    }
    emitter.emit('done', {})

    const results = await Promise.all(clients)
    results.forEach((result, i) => {
      const topics = new Set(subscriptions[i])
      const expected = sent
        .filter((e) => e.topics === undefined || e.topics.some((t) => topics.has(t)))
        .map((e) => e.id)
      expect(result.gaps).toBe(0)
      expect(result.received).toEqual(expected)
    })
    const reconnects = results.reduce((sum, r) => sum + r.reconnects, 0)
    expect(reconnects).toBeGreaterThan(10)
    await emitter.close()
  })
})
