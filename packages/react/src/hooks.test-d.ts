import type { Client, ClientStatus, EndInfo, GapInfo } from '@tidings/client'
import { defineEvents } from '@tidings/schema'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { useClient } from './use-client.js'
import { useClientStatus } from './use-client-status.js'
import { useEnded } from './use-ended.js'
import { useEvent } from './use-event.js'

const events = defineEvents({
  'server-time': z.object({ time: z.number() }),
  'job:done': z.object({ at: z.string().transform((text) => new Date(text)) }),
})

describe('hook types', () => {
  it('useClient returns a client of the contract', () => {
    expectTypeOf(useClient(events, '/events')).toEqualTypeOf<Client<typeof events>>()
    expectTypeOf(useClient(events, null, { topics: ['a'] })).toEqualTypeOf<Client<typeof events>>()
  })

  it('useEvent types payloads from the contract (the output side) and lifecycle events', () => {
    const client = useClient(events, '/events')
    useEvent(client, 'server-time', (payload, meta) => {
      expectTypeOf(payload).toEqualTypeOf<{ time: number }>()
      expectTypeOf(meta.event).toEqualTypeOf<'server-time'>()
      expectTypeOf(meta.id).toEqualTypeOf<string | undefined>()
    })
    useEvent(client, 'job:done', ({ at }) => expectTypeOf(at).toEqualTypeOf<Date>())
    useEvent(client, 'tidings:gap', (gap) => expectTypeOf(gap).toEqualTypeOf<GapInfo>())
    useEvent(undefined as Client<typeof events> | undefined, 'server-time', () => {})
    // @ts-expect-error 'nope' is not an event of the contract
    useEvent(client, 'nope', () => {})
    // @ts-expect-error time is a number, not a string
    useEvent(client, 'server-time', ({ time }: { time: string }) => time)
  })

  it('useClientStatus returns the status union', () => {
    const status = useClientStatus(useClient(events, '/events'))
    expectTypeOf(status).toEqualTypeOf<ClientStatus>()
    if (status.state === 'reconnecting') expectTypeOf(status.delayMs).toEqualTypeOf<number>()
  })

  it('useEnded returns the end of a topic, or undefined', () => {
    const client = useClient(events, '/events', { topics: ['run:1'] })
    expectTypeOf(useEnded(client, 'run:1')).toEqualTypeOf<EndInfo | undefined>()
    expectTypeOf(useEnded(null, undefined)).toEqualTypeOf<EndInfo | undefined>()
    // @ts-expect-error a topic is a string
    useEnded(client, 1)
  })
})
