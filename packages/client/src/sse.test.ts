import { expect, it } from 'vitest'
import * as client from './index.js'
import * as sse from './sse.js'

// A new export is a decision: this list changes only on purpose.
it('exports from @tidings/client/sse what @tidings/client does, with its own createClient', () => {
  expect(Object.keys(sse).sort()).toEqual(Object.keys(client).sort())
  expect(sse.createClient).not.toBe(client.createClient)
  expect(sse.ResponseError).toBe(client.ResponseError)
})
