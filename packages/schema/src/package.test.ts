import { expect, it } from 'vitest'
import * as schema from './index.js'

// A new export is a decision: this list changes only on purpose.
it('exports exactly the public surface', () => {
  expect(Object.keys(schema).sort()).toMatchInlineSnapshot(`
    [
      "AFTER_PARAM",
      "ContractError",
      "END_EVENT",
      "EncodeError",
      "GAP_EVENT",
      "HELLO_COMMENT_PREFIX",
      "LAST_EVENT_ID_PARAM",
      "LIMIT_PARAM",
      "ParseError",
      "REPLAY_PARAM",
      "RESERVED_PREFIX",
      "TOPIC_PARAM",
      "TidingsError",
      "ValidationError",
      "createEpoch",
      "createParser",
      "defineEvents",
      "encodeComment",
      "encodeEvent",
      "encodeRetry",
      "formatEventId",
      "hasEvent",
      "isTidingsError",
      "isValidationError",
      "jsonCodec",
      "parseEventId",
      "validatePayload",
    ]
  `)
})
