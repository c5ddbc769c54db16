import { describe, expect, it } from 'vitest'
import { type ClientLog, checkClient, type Emitted } from './checker.js'

// ep-1 .. ep-8: broadcasts, topic a, topic b, and one to a and b.
const emitted: Emitted[] = [
  { n: 0, id: 'ep-1', topics: null },
  { n: 1, id: 'ep-2', topics: ['a'] },
  { n: 2, id: 'ep-3', topics: ['b'] },
  { n: 3, id: 'ep-4', topics: ['a'] },
  { n: 4, id: 'ep-5', topics: null },
  { n: 5, id: 'ep-6', topics: ['a', 'b'] },
  { n: 6, id: 'ep-7', topics: ['a'] },
  { n: 7, id: 'ep-8', topics: null },
]

const log = (received: number[], extra: Partial<ClientLog> = {}): ClientLog => ({
  index: 0,
  topics: ['a'],
  received: received.map((n) => ({ n, id: emitted[n]?.id })),
  gaps: [],
  reconnects: 1,
  finals: 1,
  errors: {},
  ...extra,
})

describe('checkClient', () => {
  it('counts what a topic-a client should get, and a clean run as clean', () => {
    const row = checkClient(emitted, log([0, 1, 3, 4, 5, 6, 7]))
    expect(row).toMatchObject({
      sent: 7,
      received: 7,
      duplicates: 0,
      lost: 0,
      covered: 0,
      reordered: 0,
      unexpected: 0,
    })
  })

  it('a broadcast-only client expects broadcasts only', () => {
    const row = checkClient(emitted, log([0, 4, 7], { topics: [] }))
    expect(row).toMatchObject({ sent: 3, received: 3, lost: 0, unexpected: 0 })
  })

  it('finds duplicates, reordering, losses and events of other topics', () => {
    const row = checkClient(emitted, log([0, 1, 1, 4, 3, 2, 7]))
    expect(row).toMatchObject({
      sent: 7,
      received: 5,
      duplicates: 1,
      reordered: 1,
      // ep-3 is topic b only.
      unexpected: 1,
      // ep-6 and ep-7.
      lost: 2,
    })
  })

  it('an id that does not match the emitted event is unexpected, and the event lost', () => {
    const row = checkClient(emitted, {
      ...log([0, 1]),
      received: [
        { n: 0, id: 'ep-1' },
        { n: 1, id: 'ep-9' },
      ],
    })
    expect(row).toMatchObject({ received: 1, unexpected: 1, lost: 6 })
  })

  it('only events between the gap’s lastEventId and the gap are covered', () => {
    // Resumed from ep-2; the server said "gap" at ep-5; ep-6 onwards must arrive.
    const gaps = [{ reason: 'expired', from: 'ep-2', to: 'ep-5' }]
    const row = checkClient(emitted, log([0, 1, 5, 7], { gaps }))
    // ep-4 and ep-5 are covered; ep-7 (after the gap) is lost.
    expect(row).toMatchObject({ sent: 7, received: 4, covered: 2, lost: 1, gaps: 1 })
    // The same misses without a gap are all lost.
    expect(checkClient(emitted, log([0, 1, 5, 7]))).toMatchObject({ covered: 0, lost: 3 })
  })

  it('a gap from an unparsable id covers everything up to the gap', () => {
    const gaps = [{ reason: 'malformed', from: 'garbage', to: 'ep-4' }]
    const row = checkClient(emitted, log([4, 5, 6, 7], { gaps }))
    expect(row).toMatchObject({ covered: 3, lost: 0 })
  })

  it('a gap without a position covers nothing', () => {
    const gaps = [{ reason: 'expired', from: 'ep-1', to: undefined }]
    const row = checkClient(emitted, log([0, 4, 5, 6, 7], { gaps }))
    expect(row).toMatchObject({ covered: 0, lost: 2 })
  })
})
