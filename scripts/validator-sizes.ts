/**
 * What the contract's validator costs a browser page: the same two contracts
 * (the clock's one event, the chat's two) written with zod classic, zod/mini and
 * valibot, bundled and minified by esbuild, then gzipped (level 9).
 *
 *   npx tsx scripts/validator-sizes.ts     # prints the table of docs/guide/validators.md
 *
 * `test/examples/validator-sizes.test.ts` keeps that table true.
 */
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))

export const VALIDATORS = ['zod', 'zod/mini', 'valibot'] as const
export type Validator = (typeof VALIDATORS)[number]

const NICK = String.raw`/^[\p{L}\p{N}_.-]{1,24}$/u`

/** Each contract as the team would write it with each validator. */
const CONTRACTS: Record<Validator, { clock: string; chat: string }> = {
  zod: {
    clock: `import { z } from 'zod'
export const events = defineEvents({ 'server-time': z.object({ time: z.number() }) })`,
    chat: `import { z } from 'zod'
const nick = z.string().regex(${NICK})
const whole = z.number().int().nonnegative()
export const events = defineEvents({
  'chat:message': z.object({ user: nick, text: z.string().trim().min(1).max(2000), sentAt: whole }),
  'chat:presence': z.object({ kind: z.enum(['join', 'leave']), user: nick, online: z.array(nick), rev: whole }),
})`,
  },
  'zod/mini': {
    clock: `import * as z from 'zod/mini'
export const events = defineEvents({ 'server-time': z.object({ time: z.number() }) })`,
    chat: `import * as z from 'zod/mini'
const nick = z.string().check(z.regex(${NICK}))
const whole = z.int().check(z.nonnegative())
export const events = defineEvents({
  'chat:message': z.object({ user: nick, text: z.string().check(z.trim(), z.minLength(1), z.maxLength(2000)), sentAt: whole }),
  'chat:presence': z.object({ kind: z.enum(['join', 'leave']), user: nick, online: z.array(nick), rev: whole }),
})`,
  },
  valibot: {
    clock: `import * as v from 'valibot'
export const events = defineEvents({ 'server-time': v.object({ time: v.number() }) })`,
    chat: `import * as v from 'valibot'
const nick = v.pipe(v.string(), v.regex(${NICK}))
const whole = v.pipe(v.number(), v.integer(), v.minValue(0))
export const events = defineEvents({
  'chat:message': v.object({ user: nick, text: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(2000)), sentAt: whole }),
  'chat:presence': v.object({ kind: v.picklist(['join', 'leave']), user: nick, online: v.array(nick), rev: whole }),
})`,
  },
}

/** Bytes, minified then gzipped, of a module bundled for the browser. */
async function gzipped(contents: string): Promise<number> {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@tidings/source'],
    write: false,
    logLevel: 'silent',
  })
  return gzipSync(result.outputFiles[0]!.contents, { level: 9 }).byteLength
}

/** One row of the table: gzipped bytes of each bundle. */
export interface ValidatorSizes {
  readonly validator: Validator
  /** The clock's contract alone (`defineEvents` and the validator it pulls in). */
  readonly clock: number
  /** The chat's contract alone. */
  readonly chat: number
  /** A page: `createClient` with the chat's contract, listening to one event. */
  readonly page: number
}

export async function measureValidators(): Promise<ValidatorSizes[]> {
  const contract = (code: string) => `import { defineEvents } from '@tidings/schema'\n${code}`
  return Promise.all(
    VALIDATORS.map(async (validator) => {
      const { clock, chat } = CONTRACTS[validator]
      const page = `${contract(chat)}
import { createClient } from '@tidings/client'
createClient(events, '/events').on('chat:message', (message) => console.log(message.text))`
      const [a, b, c] = await Promise.all([contract(clock), contract(chat), page].map(gzipped))
      return { validator, clock: a!, chat: b!, page: c! }
    }),
  )
}

/** Bytes as the docs show them: kB (1,000 bytes), one decimal. */
export const kB = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await measureValidators()
  console.log(
    '| validator | `server-time` contract | chat contract | a page: client + chat contract |',
  )
  console.log('| --- | ---: | ---: | ---: |')
  for (const row of rows) {
    console.log(`| \`${row.validator}\` | ${kB(row.clock)} | ${kB(row.chat)} | ${kB(row.page)} |`)
  }
}
