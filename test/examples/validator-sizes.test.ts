import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { expect, it } from 'vitest'
import { kB, measureValidators, VALIDATORS } from '../../scripts/validator-sizes.js'

// docs/guide/validators.md recommends a validator by what it costs a page; its
// table must stay what `scripts/validator-sizes.ts` measures today. A tenth of
// slack absorbs patch releases; a real change (a new zod) means re-running the
// script and updating the table and the advice.

const DOC = resolve(import.meta.dirname, '..', '..', 'docs', 'guide', 'validators.md')
const measuring = measureValidators()

it('keeps the sizes in docs/guide/validators.md true', async () => {
  const text = readFileSync(DOC, 'utf8')
  const measured = await measuring
  for (const row of measured) {
    const line = text
      .split('\n')
      .find((candidate) => candidate.replace(/ +/g, ' ').startsWith(`| \`${row.validator}\` |`))
    expect(line, `a row for ${row.validator}`).toBeDefined()
    const documented = [...line!.matchAll(/([\d.]+) kB/g)].map((match) => Number(match[1]) * 1000)
    const actual = [row.clock, row.chat, row.page]
    expect(documented).toHaveLength(3)
    documented.forEach((bytes, index) => {
      const slack = Math.max(300, bytes * 0.1)
      expect(
        Math.abs(actual[index]! - bytes),
        `${row.validator}: the docs say ${kB(bytes)}, measured ${kB(actual[index]!)}`,
      ).toBeLessThanOrEqual(slack)
    })
  }
  expect(measured.map((row) => row.validator)).toEqual([...VALIDATORS])
})

it('recommends what it measures: zod/mini and valibot cost a page a fraction of zod classic', async () => {
  const [classic, mini, valibot] = await measuring
  expect(mini!.page * 5).toBeLessThan(classic!.page)
  expect(valibot!.page).toBeLessThan(mini!.page)
})

it('is what the example pages use', () => {
  for (const example of ['server-time', 'chat']) {
    const contract = readFileSync(
      join(DOC, '..', '..', '..', 'examples', example, 'contract.ts'),
      'utf8',
    )
    expect(contract, example).toContain("from 'zod/mini'")
  }
})
