import { expect, it } from 'vitest'
import { measureClient } from '../scripts/size.js'

// Minified with esbuild, zod left out. `npm run size -w @tidings/client` prints the parts and
// the peers (@microsoft/fetch-event-source, eventsource, socket.io-client) beside them.
const SSE_BUDGET = 6 * 1024

it(`ships the client (with the parts of @tidings/schema it uses) within ${SSE_BUDGET} bytes min+gz`, async () => {
  expect((await measureClient()).gzipped).toBeLessThanOrEqual(SSE_BUDGET)
})
