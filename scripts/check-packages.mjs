// Checks every built package as it would be published: publint --strict for the
// package.json shape, attw --pack for types under every module mode, and a plain
// Node import + require of the dist, outside any test runner or TS loader.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const bin = (name) => join(root, 'node_modules', '.bin', name)
const packages = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name))

// Each package must load both ways and expose its factory as a function.
const smoke = {
  '@tidings/schema': 'defineEvents',
  '@tidings/server': 'createEmitter',
  '@tidings/client': 'createClient',
  '@tidings/redis': 'createRedisStore',
}

let failed = false
const run = (label, cmd, args, options) => {
  try {
    execFileSync(cmd, args, { stdio: 'inherit', ...options })
  } catch {
    console.error(`\n✗ ${label}`)
    failed = true
  }
}

for (const dir of packages) {
  const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  run(`publint ${name}`, bin('publint'), ['--strict'], { cwd: dir })
  run(`attw ${name}`, bin('attw'), ['--pack', '.', '--profile', 'node16'], { cwd: dir })
  const factory = smoke[name]
  if (!factory) continue
  const check = `if (typeof m.${factory} !== 'function') throw new Error('${name}: ${factory} missing')`
  // No custom conditions here: this resolves to dist exactly as users' Node would.
  run(
    `ESM import ${name}`,
    process.execPath,
    ['--input-type=module', '-e', `const m = await import('${name}'); ${check}`],
    {
      cwd: root,
    },
  )
  run(`CJS require ${name}`, process.execPath, ['-e', `const m = require('${name}'); ${check}`], {
    cwd: root,
  })
}
// The contract must also work end to end from both module systems, with zod.
const contract = `m.defineEvents({ 'server-time': z.object({ time: z.number() }) }).names[0] === 'server-time' || process.exit(1)`
run(
  'ESM defineEvents',
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `const m = await import('@tidings/schema'); const { z } = await import('zod'); ${contract}`,
  ],
  { cwd: root },
)
run(
  'CJS defineEvents',
  process.execPath,
  ['-e', `const m = require('@tidings/schema'); const { z } = require('zod'); ${contract}`],
  { cwd: root },
)
if (!failed) console.log('\n✓ publint, attw and plain-Node ESM/CJS loads passed for every package')
process.exit(failed ? 1 : 0)
