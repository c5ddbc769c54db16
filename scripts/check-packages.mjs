// Checks every built package as it would be published: publint --strict for the
// package.json shape, attw --pack for types under every module mode, and a plain
// Node import + require of the dist, outside any test runner or TS loader.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const bin = (name) => join(root, 'node_modules', '.bin', name)
const packages = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name))

// Each package (and each extra entry point) must load both ways and expose its
// main function.
const smoke = {
  '@tidings/schema': {
    '@tidings/schema': 'defineEvents',
    '@tidings/schema/asyncapi': 'toAsyncAPI',
  },
  '@tidings/server': {
    '@tidings/server': 'createEmitter',
    '@tidings/server/prometheus': 'registerEmitterMetrics',
  },
  '@tidings/client': { '@tidings/client': 'createClient' },
  '@tidings/react': { '@tidings/react': 'useClient' },
  '@tidings/cli': { '@tidings/cli': 'runCli' },
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
  for (const [entry, factory] of Object.entries(smoke[name] ?? {})) {
    const check = `if (typeof m.${factory} !== 'function') throw new Error('${entry}: ${factory} missing')`
    // No custom conditions here: this resolves to dist exactly as users' Node would.
    run(
      `ESM import ${entry}`,
      process.execPath,
      ['--input-type=module', '-e', `const m = await import('${entry}'); ${check}`],
      { cwd: root },
    )
    run(
      `CJS require ${entry}`,
      process.execPath,
      ['-e', `const m = require('${entry}'); ${check}`],
      {
        cwd: root,
      },
    )
  }
}
// The command runs from its bin, as `npx tidings` would start it.
run(
  'tidings --version',
  process.execPath,
  [join(root, 'packages', 'cli', 'dist', 'bin.js'), '--version'],
  {
    cwd: root,
  },
)
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
