import { defineEvents } from '@tidings/schema'
import * as z from 'zod/mini'

/**
 * The clock's contract, imported by the server module and the browser page:
 * one event, `server-time`, carrying the server's time in milliseconds since
 * the epoch (the seed article sent seconds as a bare number; a typed object
 * leaves room to grow). `zod/mini` keeps the page small: the same schemas as
 * `zod`, written with functions that a bundler can leave out when unused
 * (docs/guide/validators.md has the sizes).
 */
export const clockEvents = defineEvents({
  'server-time': z.object({ time: z.int().check(z.nonnegative()) }),
})

export type ClockEvents = typeof clockEvents
