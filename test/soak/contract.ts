import { defineEvents } from '@tidings/schema'
import { z } from 'zod'

/**
 * The soak's contract. `tick` carries its place in the whole run (`n`), its
 * routing (`key`: the topic, the topics joined with `+`, or `*` for a
 * broadcast) and its number within that key (`seq`), with text holding
 * multi-byte characters for the proxy to split. `final` is the last broadcast.
 */
export const soakEvents = defineEvents({
  tick: z.object({
    n: z.number().int(),
    key: z.string(),
    seq: z.number().int(),
    text: z.string(),
  }),
  final: z.object({ n: z.number().int() }),
})
