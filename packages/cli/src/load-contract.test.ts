import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CliError } from './errors.js'
import { loadContract } from './load-contract.js'

const fixture = (name: string) =>
  fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url))

describe('loadContract', () => {
  it('loads a TypeScript contract without a build step and finds its one contract', async () => {
    const { contract, exportName } = await loadContract(fixture('contract.ts'))
    expect(exportName).toBe('events')
    expect(contract.names).toEqual(['order:placed', 'tick'])
  })

  it('asks which export to use when there are several, and takes the one named', async () => {
    await expect(loadContract(fixture('two-contracts.ts'))).rejects.toThrow(
      /exports several contracts \(clock, orders\): pick one with --export <name>/,
    )
    const { contract } = await loadContract(fixture('two-contracts.ts'), 'clock')
    expect(contract.names).toEqual(['tick'])
  })

  it('says what is wrong with a missing file, a missing export, or a file that throws', async () => {
    await expect(loadContract(fixture('nope.ts'))).rejects.toThrow(/does not exist/)
    await expect(loadContract(fixture('contract.ts'), 'nope')).rejects.toThrow(
      /has no export named "nope"/,
    )
    const error = await loadContract(fixture('broken.ts')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).code).toBe('contract_load')
    expect((error as CliError).message).toMatch(/Could not load .*broken\.ts: .*no contract here/)
  })
})
