import { TidingsError } from '@tidings/schema'

/** Codes of the errors the `tidings` command reports. */
export type CliErrorCode =
  /** A bad argument or option (exit status 2). */
  | 'usage'
  /** The contract file could not be found, compiled or run. */
  | 'contract_load'
  /** The contract file exports no contract, or several without `--export` naming one. */
  | 'contract_export'

/**
 * A failure of the `tidings` command itself, with a message that says what to
 * do. Stream failures are the client's errors (`ResponseError`, `ConnectionError`),
 * reported as they are.
 *
 * @example
 * try {
 *   await loadContract('./contract.ts')
 * } catch (error) {
 *   if (error instanceof CliError && error.code === 'contract_export') console.error(error.message)
 * }
 */
export class CliError extends TidingsError<CliErrorCode> {
  override name = 'CliError'
}
