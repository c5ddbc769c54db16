import { expect, it } from 'vitest'
import {
  bundleText,
  measureClient,
  measureReadHistory,
  measureSharedClient,
  measureSseClient,
  SHARED_APP,
} from '../scripts/size.js'

// Minified with esbuild, zod left out, gzipped. `npm run size -w @tidings/client` prints the
// parts (eventemitter3, the parser ...) and the peers beside them.
const SSE_BUDGET = 6 * 1024
const WEBSOCKET_BUDGET = 7 * 1024
// What `@tidings/client/share` adds to the client with WebSocket.
const SHARE_BUDGET = 2.5 * 1024
const READ_HISTORY_BUDGET = 2 * 1024

it(`ships the SSE-only client (@tidings/client/sse) within ${SSE_BUDGET} bytes min+gz`, async () => {
  expect((await measureSseClient()).gzipped).toBeLessThanOrEqual(SSE_BUDGET)
})

it(`ships the client with the WebSocket transport within ${WEBSOCKET_BUDGET} bytes min+gz`, async () => {
  expect((await measureClient()).gzipped).toBeLessThanOrEqual(WEBSOCKET_BUDGET)
})

it('leaves the WebSocket transport out of an app that imports the SSE-only client', async () => {
  // Strings only the WebSocket transport holds; a minifier keeps string literals.
  const marks = ['arraybuffer', 'refused the WebSocket']
  const sseOnly = await bundleText('@tidings/client/sse')
  const withWebSocket = await bundleText('@tidings/client')
  expect(marks.filter((mark) => withWebSocket.includes(mark))).toEqual(marks)
  expect(marks.filter((mark) => sseOnly.includes(mark))).toEqual([])
})

it(`adds tab sharing (@tidings/client/share) within ${SHARE_BUDGET} bytes min+gz`, async () => {
  const [plain, shared] = await Promise.all([measureClient(), measureSharedClient()])
  console.log(
    `tab sharing adds ${shared.gzipped - plain.gzipped} bytes min+gz (${plain.gzipped} -> ${shared.gzipped}), ${shared.minified - plain.minified} minified`,
  )
  expect(shared.gzipped - plain.gzipped).toBeLessThanOrEqual(SHARE_BUDGET)
})

it('leaves tab sharing out of an app that does not import @tidings/client/share', async () => {
  // Strings only the sharing code holds.
  const marks = ['eventTopics', 'tidings:${', 'pagehide']
  const plain = await bundleText('@tidings/client')
  const shared = await bundleText('@tidings/client/share', SHARED_APP)
  expect(marks.filter((mark) => shared.includes(mark))).toEqual(marks)
  expect(marks.filter((mark) => plain.includes(mark))).toEqual([])
})

it(`ships readHistory alone within ${READ_HISTORY_BUDGET} bytes min+gz`, async () => {
  expect((await measureReadHistory()).gzipped).toBeLessThanOrEqual(READ_HISTORY_BUDGET)
})

it('leaves readHistory out of an app that only imports createClient', async () => {
  // A string only readHistory holds; a minifier keeps string literals.
  const mark = 'did not answer a history page'
  const withHistory = await bundleText('', `export { readHistory } from '@tidings/client'`)
  expect(withHistory).toContain(mark)
  expect(await bundleText('@tidings/client')).not.toContain(mark)
  expect(await bundleText('@tidings/client/sse')).not.toContain(mark)
})
