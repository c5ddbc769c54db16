// Checks every built package as it would be published: its package.json
// metadata, what its tarball holds (`npm pack --dry-run`), publint --strict for
// the package.json shape, attw --pack for types under every module mode, and a
// plain Node import + require of the dist, outside any test runner or TS loader.
// Every folder under packages/ is checked, so a new package gets the same rules.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const bin = (name) => join(root, 'node_modules', '.bin', name)
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const rootLicense = readFileSync(join(root, 'LICENSE'), 'utf8')
const dirs = readdirSync(join(root, 'packages'))

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
  '@tidings/client': {
    '@tidings/client': 'createClient',
    '@tidings/client/share': 'shareTabs',
  },
  '@tidings/redis': { '@tidings/redis': 'createRedisStore' },
  '@tidings/react': { '@tidings/react': 'useClient' },
  '@tidings/cli': { '@tidings/cli': 'runCli' },
}

// Validators are the user's choice: never a dependency, at most an optional peer.
const VALIDATORS = ['zod', 'valibot', 'arktype', '@sinclair/typebox', 'effect']

// What a tarball may hold: the manifest and its three documents, the build, and
// the sources the source maps point at. Anything else is a mistake to fix here.
const ALLOWED = [
  /^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/,
  /^dist\/.+\.(js|cjs|mjs|d\.ts|d\.cts|d\.mts|map)$/,
  /^src\/.+\.(ts|tsx)$/,
]
const FORBIDDEN = [
  /\.(test|spec)(-d)?\.[cm]?[jt]sx?$/,
  /\.cases\.[jt]s$/,
  /(^|\/)(test|tests|__tests__|fixtures|scripts|bench)\//,
  /(^|\/)(tsconfig[^/]*\.json|tsup\.config\.[jt]s|vitest\.config\.[jt]s)$/,
  /\.(log|tgz)$/,
]
const REQUIRED_FILES = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']

let failed = false
const fail = (message) => {
  console.error(`✗ ${message}`)
  failed = true
}
const run = (label, cmd, args, options) => {
  try {
    execFileSync(cmd, args, { stdio: 'inherit', ...options })
  } catch {
    fail(label)
  }
}

/** Every file path an `exports` map (or main/module/types/bin) points at, `./` removed. */
function entryFiles(pkg) {
  const found = new Set()
  // The `@tidings/source` condition (this repository's tests) points into `src`, shipped too.
  const walk = (value) => {
    if (typeof value === 'string') {
      if (value.includes('*')) fail(`${pkg.name}: wildcard target ${value} cannot be checked`)
      else found.add(value.replace(/^\.\//, ''))
    } else if (value && typeof value === 'object') {
      for (const inner of Object.values(value)) walk(inner)
    }
  }
  for (const field of ['exports', 'main', 'module', 'types', 'bin']) walk(pkg[field])
  return found
}

function checkMetadata(dir, pkg) {
  const where = `packages/${dir}/package.json`
  if (typeof pkg.description !== 'string' || pkg.description.length < 20) {
    fail(`${where}: a "description" of a sentence (npm search shows it)`)
  }
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length < 3) {
    fail(`${where}: "keywords" (at least three)`)
  }
  if (pkg.license !== 'MIT') fail(`${where}: "license" must be "MIT"`)
  if (typeof pkg.homepage !== 'string' || !pkg.homepage.startsWith('https://')) {
    fail(`${where}: a "homepage" URL`)
  }
  const repository = pkg.repository ?? {}
  if (repository.type !== 'git' || repository.url !== rootPackage.repository?.url) {
    fail(
      `${where}: "repository.url" must be the root package.json's (${rootPackage.repository?.url})`,
    )
  }
  if (repository.directory !== `packages/${dir}`) {
    fail(`${where}: "repository.directory" must be "packages/${dir}"`)
  }
  if (pkg.engines?.node !== '>=20') fail(`${where}: "engines.node" must be ">=20"`)
  if (pkg.sideEffects !== false) fail(`${where}: "sideEffects": false`)
  if (!Array.isArray(pkg.files))
    fail(`${where}: a "files" list (what ships is chosen, not defaulted)`)
  for (const name of VALIDATORS) {
    if (pkg.dependencies?.[name]) {
      fail(
        `${where}: ${name} is a dependency; make it an optional peer (users bring their validator)`,
      )
    }
    if (pkg.peerDependencies?.[name] && pkg.peerDependenciesMeta?.[name]?.optional !== true) {
      fail(`${where}: the peer ${name} must be optional (peerDependenciesMeta)`)
    }
  }
}

const readText = (path) => (existsSync(path) ? readFileSync(path, 'utf8') : '')

function checkDocuments(dir, pkg) {
  const readme = readText(join(root, 'packages', dir, 'README.md'))
  if (!readme.includes(`npm install ${pkg.name}`)) {
    fail(`packages/${dir}/README.md: show how to install (\`npm install ${pkg.name} ...\`)`)
  }
  const changelog = readText(join(root, 'packages', dir, 'CHANGELOG.md'))
  if (!/^# Changelog\n/.test(changelog) || !changelog.includes('keepachangelog.com')) {
    fail(
      `packages/${dir}/CHANGELOG.md: a Keep a Changelog file ("# Changelog", linking keepachangelog.com)`,
    )
  }
  if (!/^## \[Unreleased\]$/m.test(changelog)) {
    fail(`packages/${dir}/CHANGELOG.md: an "## [Unreleased]" section to record changes in`)
  }
}

function checkTarball(dir, pkg) {
  const cwd = join(root, 'packages', dir)
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const files = new Set(JSON.parse(output)[0].files.map((file) => file.path))
  const where = `${pkg.name} tarball`
  for (const required of REQUIRED_FILES) {
    if (!files.has(required)) fail(`${where}: ${required} is missing`)
  }
  if (files.has('LICENSE') && readText(join(cwd, 'LICENSE')) !== rootLicense) {
    fail(`packages/${dir}/LICENSE differs from the root LICENSE: copy it again`)
  }
  for (const file of files) {
    if (FORBIDDEN.some((pattern) => pattern.test(file))) fail(`${where}: ships ${file}`)
    else if (!ALLOWED.some((pattern) => pattern.test(file))) {
      fail(`${where}: ships ${file}, which no rule allows (scripts/check-packages.mjs ALLOWED)`)
    }
  }
  for (const entry of entryFiles(pkg)) {
    if (!files.has(entry)) fail(`${where}: package.json points at ${entry}, which is not shipped`)
  }
  for (const file of files) {
    if (!file.endsWith('.map')) continue
    const map = JSON.parse(readFileSync(join(cwd, file), 'utf8'))
    const base = file.slice(0, file.lastIndexOf('/') + 1)
    for (const source of map.sources) {
      const path = new URL(source, `file:///${base}`).pathname.slice(1)
      if (!files.has(path)) fail(`${where}: ${file} maps to ${path}, which is not shipped`)
    }
  }
  return files
}

for (const dir of dirs) {
  const pkgDir = join(root, 'packages', dir)
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))
  const { name } = pkg
  checkMetadata(dir, pkg)
  checkDocuments(dir, pkg)
  const files = checkTarball(dir, pkg)
  console.log(`${name}: ${files.size} files in the tarball`)
  run(`publint ${name}`, bin('publint'), ['--strict'], { cwd: pkgDir })
  run(`attw ${name}`, bin('attw'), ['--pack', '.', '--profile', 'node16'], { cwd: pkgDir })
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
if (!rootLicense.startsWith('MIT License')) fail('LICENSE at the root must be the MIT license')

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
if (!failed) {
  console.log(
    '\n✓ metadata, tarball contents, publint, attw and plain-Node ESM/CJS loads passed for every package',
  )
}
process.exit(failed ? 1 : 0)
