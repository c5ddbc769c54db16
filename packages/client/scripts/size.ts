/**
 * Measures what `@tidings/client` costs a browser bundle: minified (esbuild), then
 * gzipped (level 9) and brotli-compressed (quality 11, what size-limit reports by
 * default), the validator library (zod) left out. Three ways to ship it: the SSE-only
 * client (`import { createClient } from '@tidings/client/sse'`), the client with
 * the WebSocket transport (`from '@tidings/client'`, `transport: 'auto'`), and
 * that client with tab sharing (`shareTabs` from `@tidings/client/share`).
 *
 *   npx tsx packages/client/scripts/size.ts          # the client
 *   npx tsx packages/client/scripts/size.ts --peers  # and the peers, for comparison
 *
 * `src/size.test.ts` enforces the budgets in `npm test`.
 */
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const app = (from: string): string => `export { createClient } from '${from}'`

/** Byte counts of one bundle: minified, then compressed. */
export interface Size {
  readonly minified: number
  readonly gzipped: number
  readonly brotli: number
}

async function measure(options: { contents: string; external: string[] }): Promise<Size> {
  const result = await build({
    stdin: { contents: options.contents, resolveDir: root, loader: 'ts' },
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
  return {
    minified: code.byteLength,
    gzipped: gzipSync(code, { level: 9 }).byteLength,
    brotli: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })
      .byteLength,
  }
}

/**
 * The client with the WebSocket transport as an app ships it (`createClient` from
 * `@tidings/client`): its code, eventemitter3 and the parts of @tidings/schema it uses.
 */
export const measureClient = (): Promise<Size> =>
  measure({ contents: app('@tidings/client'), external: ['zod'] })

/** The SSE-only client as an app ships it (`createClient` from `@tidings/client/sse`). */
export const measureSseClient = (): Promise<Size> =>
  measure({ contents: app('@tidings/client/sse'), external: ['zod'] })

/** An app that shares its connection among tabs: the client and `shareTabs`. */
export const SHARED_APP = `${app('@tidings/client')}\nexport { shareTabs } from '@tidings/client/share'`

/**
 * The client with the WebSocket transport and tab sharing (`shareTabs` from
 * `@tidings/client/share`) as an app ships it. What sharing adds is the
 * difference with {@link measureClient}.
 */
export const measureSharedClient = (): Promise<Size> =>
  measure({ contents: SHARED_APP, external: ['zod'] })

/**
 * `readHistory` as an app ships it when it reads history without a stream (a
 * late visit): its code and the parts of @tidings/schema it uses.
 */
export const measureReadHistory = (): Promise<Size> =>
  measure({ contents: `export { readHistory } from '@tidings/client'`, external: ['zod'] })

/** The bundle's code, minified: to check what an app leaves out. */
export async function bundleText(from: string, contents = app(from)): Promise<string> {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@tidings/source'],
    external: ['zod'],
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]?.text ?? ''
}

/** The same measure for the libraries a team would otherwise reach for. */
export const PEERS: Record<string, string> = {
  '@microsoft/fetch-event-source': `export { fetchEventSource } from '@microsoft/fetch-event-source'`,
  eventsource: `export { EventSource } from 'eventsource'`,
  'socket.io-client': `export { io } from 'socket.io-client'`,
}

export const measurePeer = (name: string): Promise<Size> =>
  measure({ contents: PEERS[name] ?? '', external: [] })

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // The parts, each bundled alone (so they overlap a little): where the bytes go.
  const part = (contents: string, external: string[] = ['zod']) => measure({ contents, external })
  const rows: Array<[string, Size]> = [
    ['@tidings/client/sse (SSE only, what an app ships)', await measureSseClient()],
    ['@tidings/client (with WebSocket, what an app ships)', await measureClient()],
    ['@tidings/client with @tidings/client/share (tab sharing)', await measureSharedClient()],
    ['readHistory alone (a page that only reads history)', await measureReadHistory()],
    [
      'createClient + readHistory from @tidings/client',
      await part(`export { createClient, readHistory } from '@tidings/client'`),
    ],
    [
      '  its own code (SSE only)',
      await part(app('@tidings/client/sse'), ['zod', '@tidings/schema', 'eventemitter3']),
    ],
    ['  eventemitter3, alone', await part(`export { EventEmitter } from 'eventemitter3'`)],
    [
      '  the SSE-only client without eventemitter3 (its share is the difference)',
      await part(app('@tidings/client/sse'), ['zod', 'eventemitter3']),
    ],
    ['  the parser (createParser)', await part(`export { createParser } from '@tidings/schema'`)],
    [
      '  the other schema parts it uses',
      await part(
        `export { hasEvent, parseEventId, validatePayload, ContractError, ParseError, TidingsError, ValidationError } from '@tidings/schema'`,
      ),
    ],
  ]
  if (process.argv.includes('--peers')) {
    for (const name of Object.keys(PEERS)) rows.push([name, await measurePeer(name)])
  }
  console.log('| bundle | min | min+gz | min+br |\n| --- | ---: | ---: | ---: |')
  for (const [name, { minified, gzipped, brotli }] of rows) {
    console.log(`| ${name} | ${minified} | ${gzipped} | ${brotli} |`)
  }
}
