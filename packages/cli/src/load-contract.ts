import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AnyContract } from '@tidings/schema'
import { createJiti } from 'jiti'
import { CliError } from './errors.js'

/** A contract loaded from a file, and the export it came from. */
export interface LoadedContract {
  readonly contract: AnyContract
  /** The export's name (`default` for a default export). */
  readonly exportName: string
  /** The absolute path of the file. */
  readonly file: string
}

// Recognised by shape, not `instanceof`: the file's `@tidings/schema` may be
// another copy than the command's own.
const isContract = (value: unknown): value is AnyContract => {
  const candidate = value as Partial<AnyContract> | null
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.events === 'object' &&
    candidate.events !== null &&
    Array.isArray(candidate.names) &&
    typeof candidate.codec?.decode === 'function'
  )
}

/**
 * Loads a contract from a TypeScript or JavaScript module, without a build step
 * (through jiti, which compiles TypeScript on the fly). Picks the export named
 * `exportName`, or the one export that is a contract.
 *
 * @throws {CliError} `contract_load` when the file is missing or fails to run,
 * `contract_export` when no export (or more than one, without `exportName`) is a contract.
 * @example
 * const { contract } = await loadContract('./contract.ts', 'events')
 */
export async function loadContract(path: string, exportName?: string): Promise<LoadedContract> {
  const file = resolve(path)
  if (!existsSync(file)) {
    throw new CliError('contract_load', `Contract file ${path} does not exist.`)
  }
  let module: Record<string, unknown>
  try {
    const jiti = createJiti(pathToFileURL(file).href, { interopDefault: false, moduleCache: false })
    module = await jiti.import<Record<string, unknown>>(file)
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause)
    throw new CliError('contract_load', `Could not load ${path}: ${reason}`, { cause })
  }
  if (exportName !== undefined) {
    const value = module[exportName]
    if (!isContract(value)) {
      throw new CliError(
        'contract_export',
        Object.hasOwn(module, exportName)
          ? `Export "${exportName}" of ${path} is not a contract: pass the result of defineEvents().`
          : `${path} has no export named "${exportName}".`,
      )
    }
    return { contract: value, exportName, file }
  }
  const found: Array<[string, AnyContract]> = []
  for (const [name, value] of Object.entries(module))
    if (isContract(value)) found.push([name, value])
  // `export const events = ...; export default events` is one contract, not two;
  // it goes by its own name rather than `default`.
  const names = new Map<AnyContract, string>()
  for (const [name, value] of found) {
    if (!names.has(value) || names.get(value) === 'default') names.set(value, name)
  }
  const distinct = [...names.entries()]
  const [only] = distinct
  if (distinct.length === 1 && only) return { contract: only[0], exportName: only[1], file }
  if (distinct.length === 0) {
    throw new CliError(
      'contract_export',
      `${path} exports no contract: export the result of defineEvents(), e.g. \`export const events = defineEvents({...})\`.`,
    )
  }
  throw new CliError(
    'contract_export',
    `${path} exports several contracts (${distinct.map(([, name]) => name).join(', ')}): pick one with --export <name>.`,
  )
}
