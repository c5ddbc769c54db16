import { defineEvents } from '@tidings/schema'
import * as z from 'zod/mini'

/**
 * The run example's contract, imported by the server module and the page. A run
 * is one topic (`run:<id>`): `run:start` first (so its history is never empty),
 * then one `run:token` per generated piece of text, then the SDK's own
 * `tidings:end` (`complete` or `cancelled`), which no contract declares.
 */
export const runEvents = defineEvents({
  'run:start': z.object({ prompt: z.string(), tokens: z.int().check(z.nonnegative()) }),
  'run:token': z.object({ index: z.int().check(z.nonnegative()), text: z.string() }),
})

export type RunEvents = typeof runEvents

/** The topic of run `id`. */
export const runTopic = (id: string): string => `run:${id}`

/** What `POST /ai-run/runs` answers. */
export interface StartedRun {
  readonly id: string
  readonly topic: string
}
