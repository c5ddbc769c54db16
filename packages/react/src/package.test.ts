import { expect, it } from 'vitest'
import * as react from './index.js'

// A new export is a decision: this list changes only on purpose.
it('exports exactly the public surface', () => {
  expect(Object.keys(react).sort()).toMatchInlineSnapshot(`
    [
      "useClient",
      "useClientStatus",
      "useEnded",
      "useEvent",
    ]
  `)
})
