import { fileURLToPath } from 'node:url'
import { Parser } from '@asyncapi/parser'
import { describe, expect, it } from 'vitest'
import { CONTRACT, runPiped } from './support.js'

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

describe('tidings asyncapi', () => {
  it('prints a document the official parser accepts', async () => {
    const run = runPiped([
      'asyncapi',
      CONTRACT,
      '--title',
      'Orders',
      '--path',
      '/orders/events',
      '--topic',
      'orders',
    ])
    expect(await run.exit).toBe(0)
    expect(run.err).toEqual([])
    const text = run.out.join('\n')
    const document = JSON.parse(text)
    expect(document).toMatchObject({
      asyncapi: '3.0.0',
      info: { title: 'Orders', version: '1.0.0' },
      channels: { events: { address: '/orders/events' } },
    })
    const { diagnostics } = await new Parser().parse(text)
    expect(diagnostics.filter((diagnostic) => diagnostic.severity <= 1)).toEqual([])
  })

  it('exits 1 with one line naming the event when a schema has no JSON Schema', async () => {
    const run = runPiped(['asyncapi', fixture('dated.ts')])
    expect(await run.exit).toBe(1)
    expect(run.out).toEqual([])
    expect(run.err).toHaveLength(1)
    expect(run.err[0]).toMatch(
      /^tidings: Event "job:done": its schema cannot be written as JSON Schema \(Date cannot be represented/,
    )
  })

  it('exits 1 and asks for --export when the file has several contracts', async () => {
    const run = runPiped(['asyncapi', fixture('two-contracts.ts')])
    expect(await run.exit).toBe(1)
    expect(run.err).toEqual([
      `tidings: ${fixture('two-contracts.ts')} exports several contracts (clock, orders): pick one with --export <name>.`,
    ])
  })
})
