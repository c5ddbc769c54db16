import { ContractError, type ValidationIssue } from './errors.js'
import type { AnyContract, EventName, EventOutput } from './types.js'

/** The outcome of validating a payload: never a thrown validator error. */
export type ValidationResult<TValue> =
  | { readonly success: true; readonly value: TValue }
  | { readonly success: false; readonly issues: readonly ValidationIssue[] }

/**
 * Validates `value` against the schema of event `name`. Synchronous by design:
 * events must keep their order, so an async validator is a contract error.
 *
 * @throws {ContractError} when `name` is not in the contract or its validator is async.
 */
export function validatePayload<TContract extends AnyContract, TName extends EventName<TContract>>(
  contract: TContract,
  name: TName,
  value: unknown,
): ValidationResult<EventOutput<TContract, TName>> {
  const schema = Object.hasOwn(contract.events, name) ? contract.events[name] : undefined
  if (!schema) {
    throw new ContractError(
      'invalid_contract',
      `Event ${JSON.stringify(name)} is not in the contract.`,
    )
  }
  const result = schema['~standard'].validate(value)
  if (result instanceof Promise) {
    throw new ContractError(
      'async_validator',
      `Event ${JSON.stringify(name)} has an async schema; events stay in order only with sync ones.`,
    )
  }
  if (result.issues) return { success: false, issues: result.issues }
  return { success: true, value: result.value as EventOutput<TContract, TName> }
}

/** True when `name` is an event of the contract (own keys only, so `toString` is not). */
export function hasEvent<TContract extends AnyContract>(
  contract: TContract,
  name: string,
): name is EventName<TContract> {
  return Object.hasOwn(contract.events, name)
}
