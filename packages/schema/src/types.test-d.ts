import * as v from 'valibot'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  type Contract,
  defineEvents,
  type EventInput,
  type EventName,
  type EventOutput,
} from './index.js'

const events = defineEvents({
  'server-time': z.object({ time: z.number() }),
  'chat:message': z.object({ user: z.string(), text: z.string().max(2000) }),
  stamped: z.object({ at: z.string().transform((s) => new Date(s)) }),
  ping: v.object({ n: v.number() }),
})
type Events = typeof events

describe('contract types', () => {
  it('name the events as a union of literals', () => {
    expectTypeOf<EventName<Events>>().toEqualTypeOf<
      'server-time' | 'chat:message' | 'stamped' | 'ping'
    >()
  })

  it('give emit the input type and handlers the output type', () => {
    expectTypeOf<EventInput<Events, 'stamped'>>().toEqualTypeOf<{ at: string }>()
    expectTypeOf<EventOutput<Events, 'stamped'>>().toEqualTypeOf<{ at: Date }>()
    expectTypeOf<EventOutput<Events, 'server-time'>>().toEqualTypeOf<{ time: number }>()
    expectTypeOf<EventInput<Events, 'ping'>>().toEqualTypeOf<{ n: number }>()
  })

  it('reject an unknown event name', () => {
    // @ts-expect-error 'nope' is not an event of the contract
    expectTypeOf<EventInput<Events, 'nope'>>().toBeUnknown()
  })

  it('reject a wrong payload', () => {
    const emit = <TName extends EventName<Events>>(
      _name: TName,
      _payload: EventInput<Events, TName>,
    ) => {}
    emit('server-time', { time: 1 })
    // @ts-expect-error time must be a number
    emit('server-time', { time: 'noon' })
    // @ts-expect-error a missing field
    emit('chat:message', { user: 'ada' })
    // @ts-expect-error an unknown event
    emit('server-tim', { time: 1 })
  })

  it('reject a contract with no events at compile time', () => {
    // @ts-expect-error a contract needs at least one event
    defineEvents({})
  })

  it('reject a value that is not a validator', () => {
    // @ts-expect-error a number is not a Standard Schema
    defineEvents({ bad: 42 })
  })

  it('keep the contract type', () => {
    expectTypeOf(events).toExtend<Contract>()
  })
})
