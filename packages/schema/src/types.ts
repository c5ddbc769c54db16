import type { Codec } from './codec.js'
import type { StandardSchemaV1 } from './standard-schema.js'

/** A map of event name to the schema of its payload. */
export type EventMap = Record<string, StandardSchemaV1>

/**
 * The contract both sides import: which events exist and what they carry.
 * Create it with `defineEvents`.
 */
export interface Contract<TEvents extends EventMap = EventMap> {
  /** The schema of each event's payload. */
  readonly events: Readonly<TEvents>
  /** How payloads become `data:` text and back. */
  readonly codec: Codec
  /** The event names, in declaration order. */
  readonly names: readonly (keyof TEvents & string)[]
}

/** Any contract; the constraint for generic `TContract` parameters. */
// biome-ignore lint/suspicious/noExplicitAny: the widest contract must accept every event map
export type AnyContract = Contract<any>

/** The union of a contract's event names. */
export type EventName<TContract extends AnyContract> =
  TContract extends Contract<infer TEvents> ? keyof TEvents & string : never

/** What `emit` accepts for an event: the schema's input type. */
export type EventInput<TContract extends AnyContract, TName extends EventName<TContract>> =
  TContract extends Contract<infer TEvents> ? StandardSchemaV1.InferInput<TEvents[TName]> : never

/** What handlers receive for an event: the schema's output type (after transforms). */
export type EventOutput<TContract extends AnyContract, TName extends EventName<TContract>> =
  TContract extends Contract<infer TEvents> ? StandardSchemaV1.InferOutput<TEvents[TName]> : never
