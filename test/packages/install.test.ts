import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exec, NPM_INSTALL_FLAGS, packTarballs, tempDir } from '../support/fresh-app.js'

// What a team gets from `npm install`: the packed tarballs (as npm publish would
// ship them) installed in an empty app outside this repository, next to the
// validator the team chose and nothing else.

// Defines a contract with the app's validator, streams one event from the
// emitter's Fetch handler to a client, and checks an invalid emit is refused.
const SMOKE = (validator: string, schema: string) => `
import { defineEvents, isValidationError } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import { createClient } from '@tidings/client'
${validator}

const events = defineEvents({ 'server-time': ${schema} })
const emitter = createEmitter(events)
try {
  emitter.emit('server-time', { time: 'noon' })
  throw new Error('an invalid payload was emitted')
} catch (error) {
  if (!isValidationError(error)) throw error
}
const client = createClient(events, 'http://app.test/events', {
  fetch: (url, init) => emitter.fetch(new Request(url, init)),
})
const received = new Promise((resolve) => client.on('server-time', resolve))
client.on('tidings:status', (status) => {
  if (status.state === 'open') emitter.emit('server-time', { time: 42 })
})
const payload = await received
client.close()
await emitter.close()
console.log(JSON.stringify(payload))
`

describe('installing the packed packages in a fresh app', () => {
  const packs = tempDir('tarballs')
  const apps: (() => void)[] = [packs.remove]
  let tarballs: string[]

  beforeAll(async () => {
    tarballs = [...(await packTarballs(packs.path)).values()]
  }, 120_000)

  afterAll(() => {
    for (const remove of apps) remove()
  })

  async function freshApp(name: string, validator: string): Promise<string> {
    const app = tempDir(name)
    apps.push(app.remove)
    writeFileSync(
      join(app.path, 'package.json'),
      `${JSON.stringify({ name, private: true, type: 'module' }, null, 2)}\n`,
    )
    const { stderr } = await exec(
      'npm',
      ['install', ...tarballs, validator, ...NPM_INSTALL_FLAGS],
      {
        cwd: app.path,
      },
    )
    // A peer range the validator does not satisfy is an ERESOLVE (or a warning with --force).
    expect(stderr).not.toMatch(/ERESOLVE|peer dep|Could not resolve/i)
    return app.path
  }

  it('brings no zod into an app that uses valibot, and works with it', async () => {
    const app = await freshApp('valibot-app', 'valibot')
    const { stdout } = await exec('npm', ['ls', '--all', '--parseable'], { cwd: app })
    const installed = stdout.split('\n').filter(Boolean)
    expect(installed.some((path) => path.endsWith('/node_modules/valibot'))).toBe(true)
    expect(installed.filter((path) => /\/zod$/.test(path))).toEqual([])
    expect(existsSync(join(app, 'node_modules', 'zod'))).toBe(false)
    // `npm ls zod` exits 1 when zod is nowhere in the tree.
    await expect(exec('npm', ['ls', 'zod'], { cwd: app })).rejects.toThrow(/\(empty\)/)

    writeFileSync(
      join(app, 'smoke.mjs'),
      SMOKE("import * as v from 'valibot'", 'v.object({ time: v.number() })'),
    )
    const run = await exec(process.execPath, ['smoke.mjs'], { cwd: app, timeoutMs: 30_000 })
    expect(run.stdout.trim()).toBe('{"time":42}')
  }, 120_000)

  it('accepts zod 3 (a Standard Schema validator since 3.24) without a peer conflict', async () => {
    const app = await freshApp('zod3-app', 'zod@3')
    const { stdout } = await exec('npm', ['ls', 'zod', '--json'], { cwd: app })
    expect(JSON.parse(stdout).dependencies.zod.version).toMatch(/^3\./)
    writeFileSync(
      join(app, 'smoke.mjs'),
      SMOKE("import { z } from 'zod'", 'z.object({ time: z.number() })'),
    )
    const run = await exec(process.execPath, ['smoke.mjs'], { cwd: app, timeoutMs: 30_000 })
    expect(run.stdout.trim()).toBe('{"time":42}')
  }, 120_000)
})
