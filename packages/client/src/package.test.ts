import { expect, it } from 'vitest'
import * as client from './index.js'

// A new export is a decision: this list changes only on purpose.
it('exports exactly the public surface', () => {
  expect(Object.keys(client).sort()).toMatchInlineSnapshot(`
    [
      "ConnectionError",
      "ContractError",
      "ParseError",
      "ResponseError",
      "TidingsError",
      "ValidationError",
      "createClient",
      "createParser",
      "historyPages",
      "isResponseError",
      "readHistory",
    ]
  `)
})
