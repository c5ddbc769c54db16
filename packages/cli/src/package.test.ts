import { expect, it } from 'vitest'
import * as cli from './index.js'

// A new export is a decision: this list changes only on purpose.
it('exports exactly the public surface', () => {
  expect(Object.keys(cli).sort()).toMatchInlineSnapshot(`
    [
      "CliError",
      "loadContract",
      "runCli",
      "tail",
    ]
  `)
})
