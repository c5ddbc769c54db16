import { type Codec, jsonCodec } from './codec.js'
import { ContractError } from './errors.js'
import type { StandardSchemaV1 } from './standard-schema.js'
import type { Contract, EventMap } from './types.js'
import { RESERVED_PREFIX } from './wire.js'

/** Options of {@link defineEvents}. */
export interface DefineEventsOptions {
  /**
   * How payloads are turned into text and back.
   * @defaultValue {@link jsonCodec}
   */
  codec?: Codec
}

/** Rejects `{}` at compile time: a contract with no events can carry nothing. */
type NonEmpty<TEvents> = [keyof TEvents] extends [never]
  ? { 'defineEvents: a contract needs at least one event': never }
  : unknown

const isStandardSchema = (value: unknown): value is StandardSchemaV1 =>
  (typeof value === 'object' || typeof value === 'function') &&
  value !== null &&
  typeof (value as Partial<StandardSchemaV1>)['~standard']?.validate === 'function'

/**
 * Declares the events a server may emit and what each carries. Import the
 * result on both sides: the server validates what it emits, the client what it
 * receives.
 *
 * Names must fit an SSE `event:` line (non-empty, no CR, LF or NUL) and must not
 * start with `tidings:`, which the SDK reserves for its own control events.
 *
 * @example
 * import { z } from 'zod'
 * export const events = defineEvents({
 *   'server-time': z.object({ time: z.number() }),
 *   'chat:message': z.object({ user: z.string(), text: z.string().max(2000) }),
 * })
 *
 * @throws {ContractError} naming the offending key, for a bad name, a value that
 * is not a Standard Schema validator, or an empty map.
 */
export function defineEvents<const TEvents extends EventMap>(
  events: TEvents & NonEmpty<TEvents>,
  options: DefineEventsOptions = {},
): Contract<TEvents> {
  if (typeof events !== 'object' || events === null) {
    throw new ContractError(
      'invalid_contract',
      'defineEvents expects an object mapping event names to schemas.',
    )
  }
  const names = Object.keys(events)
  if (names.length === 0) {
    throw new ContractError(
      'invalid_contract',
      'defineEvents: a contract needs at least one event.',
    )
  }
  for (const name of names) {
    if (name.length === 0) {
      throw new ContractError(
        'invalid_contract',
        'Event name "" is empty: give every event a non-empty name.',
      )
    }
    if (/[\r\n\0]/.test(name)) {
      throw new ContractError(
        'invalid_contract',
        `Event name ${JSON.stringify(name)} contains CR, LF or NUL, which cannot travel on an SSE "event:" line.`,
      )
    }
    if (name.startsWith(RESERVED_PREFIX)) {
      throw new ContractError(
        'invalid_contract',
        `Event name ${JSON.stringify(name)} is in the reserved "${RESERVED_PREFIX}" namespace, which the SDK uses for control events. Rename it.`,
      )
    }
    if (!isStandardSchema((events as EventMap)[name])) {
      throw new ContractError(
        'invalid_contract',
        `Event ${JSON.stringify(name)} is not a Standard Schema validator (zod 4, valibot, arktype...): got ${typeof (events as EventMap)[name]}.`,
      )
    }
  }
  return Object.freeze({
    events: Object.freeze({ ...events }),
    codec: options.codec ?? jsonCodec,
    names: Object.freeze(names) as readonly (keyof TEvents & string)[],
  })
}
