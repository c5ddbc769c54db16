import { defineEvents } from '@tidings/schema'
import { z } from 'zod'

/**
 * The clock's contract, imported by the server module and the browser page:
 * one event, `server-time`, carrying the server's time in milliseconds since
 * the epoch (the seed article sent seconds as a bare number; a typed object
 * leaves room to grow).
 */
export const clockEvents = defineEvents({
  'server-time': z.object({ time: z.number().int().nonnegative() }),
})

export type ClockEvents = typeof clockEvents
