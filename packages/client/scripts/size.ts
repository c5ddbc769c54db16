/**
 * Measures what `@tidings/client` costs a browser bundle: minified (esbuild) and
 * gzipped (level 9), the validator library (zod) left out.
 *
 *   npx tsx packages/client/scripts/size.ts          # the client
 *   npx tsx packages/client/scripts/size.ts --peers  # and the peers, for comparison
 *
 * `src/size.test.ts` enforces the budgets in `npm test`.
 */
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url))

/** Minified and gzipped byte counts of one bundle. */
export interface Size {
  readonly minified: number
  readonly gzipped: number
}

async function measure(options: {
  contents?: string
  entry?: string
  external: string[]
}): Promise<Size> {
  const result = await build({
    ...(options.entry
      ? { entryPoints: [options.entry] }
      : { stdin: { contents: options.contents ?? '', resolveDir: root, loader: 'ts' } }),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@tidings/source'],
    external: options.external,
    write: false,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]?.contents ?? new Uint8Array()
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength }
}

/** The whole client as an app ships it: its code, eventemitter3 and the parts of @tidings/schema it uses. */
export const measureClient = (): Promise<Size> => measure({ entry, external: ['zod'] })

/** The client's own code only (packages/client/src), its dependencies left out. */
export const measureOwnCode = (): Promise<Size> =>
  measure({ entry, external: ['zod', 'eventemitter3', '@tidings/schema'] })

/** The same measure for the libraries a team would otherwise reach for. */
export const PEERS: Record<string, string> = {
  '@microsoft/fetch-event-source': `export { fetchEventSource } from '@microsoft/fetch-event-source'`,
  eventsource: `export { EventSource } from 'eventsource'`,
  'socket.io-client': `export { io } from 'socket.io-client'`,
}

export const measurePeer = (name: string): Promise<Size> =>
  measure({ contents: PEERS[name] ?? '', external: [] })

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows: Array<[string, Size]> = [
    ['@tidings/client (with eventemitter3 + schema parts)', await measureClient()],
    ['@tidings/client own code only', await measureOwnCode()],
  ]
  const dependency = (contents: string) => measure({ contents, external: ['zod'] })
  rows.push(
    ['eventemitter3 alone', await dependency(`export { default } from 'eventemitter3'`)],
    [
      '@tidings/schema parts the client uses, alone',
      await dependency(
        `export { createParser, hasEvent, parseEventId, validatePayload, ContractError, ParseError, TidingsError, ValidationError } from '@tidings/schema'`,
      ),
    ],
  )
  if (process.argv.includes('--peers')) {
    for (const name of Object.keys(PEERS)) rows.push([name, await measurePeer(name)])
  }
  console.log('| bundle | min | min+gz |\n| --- | ---: | ---: |')
  for (const [name, size] of rows) console.log(`| ${name} | ${size.minified} | ${size.gzipped} |`)
}
