// A registry symbol is shared by every realm and every copy of this package, so
// the guards still work where `instanceof` fails (iframes, duplicated installs).
const brand = Symbol.for('tidings.error')

/**
 * Base class of every error the Tidings packages throw or report, except payload
 * validation failures (see {@link ValidationError}): a schema failure is the
 * application's data being wrong, not the SDK or the transport failing.
 *
 * Each package narrows `code` to its own string-literal union.
 */
export class TidingsError<TCode extends string = string> extends Error {
  override name = 'TidingsError'
  readonly code: TCode

  constructor(code: TCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    Object.defineProperty(this, brand, { value: 'TidingsError' })
  }
}

/** Codes of the errors `@tidings/schema` raises. */
export type SchemaErrorCode =
  | 'invalid_contract'
  | 'invalid_field'
  | 'line_too_long'
  | 'async_validator'
  | 'unsupported_schema'

/**
 * A contract that cannot be used, such as an event name that cannot travel on an
 * SSE `event:` line (`invalid_contract`), an async validator (`async_validator`),
 * or a schema that cannot be written as JSON Schema for `toAsyncAPI` (`unsupported_schema`).
 */
export class ContractError extends TidingsError<
  'invalid_contract' | 'async_validator' | 'unsupported_schema'
> {
  override name = 'ContractError'
}

/** An id, event name or comment that would break the SSE framing if written. */
export class EncodeError extends TidingsError<'invalid_field'> {
  override name = 'EncodeError'
}

/** The stream broke a limit the parser enforces to keep memory bounded. */
export class ParseError extends TidingsError<'line_too_long'> {
  override name = 'ParseError'
}

/** One problem a validator found, in the Standard Schema shape. */
export interface ValidationIssue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
}

/**
 * A payload that does not match its event's schema. Deliberately not a
 * {@link TidingsError}: callers that retry transport failures must not retry this.
 */
export class ValidationError extends Error {
  override name = 'ValidationError'
  readonly event: string
  readonly issues: readonly ValidationIssue[]
  readonly id: string | undefined

  constructor(event: string, issues: readonly ValidationIssue[], id?: string) {
    const first = issues[0]
    const where = first?.path?.length
      ? ` at ${first.path.map((p) => String(typeof p === 'object' ? p.key : p)).join('.')}`
      : ''
    super(
      `Invalid payload for event "${event}"${where}: ${first?.message ?? 'validation failed'}` +
        (issues.length > 1 ? ` (and ${issues.length - 1} more issue(s))` : ''),
    )
    this.event = event
    this.issues = issues
    this.id = id
    Object.defineProperty(this, brand, { value: 'ValidationError' })
  }
}

/**
 * True for any Tidings error, even one from another realm or a duplicated
 * install, where `instanceof` would fail.
 */
export function isTidingsError(error: unknown): error is TidingsError {
  if (error instanceof TidingsError) return true
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[brand] === 'TidingsError' &&
    typeof (error as { name?: unknown }).name === 'string' &&
    typeof (error as { code?: unknown }).code === 'string'
  )
}

/** True for a payload validation failure, across realms too. */
export function isValidationError(error: unknown): error is ValidationError {
  if (error instanceof ValidationError) return true
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[brand] === 'ValidationError' &&
    (error as { name?: unknown }).name === 'ValidationError'
  )
}
