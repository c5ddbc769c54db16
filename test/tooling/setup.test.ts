import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

// The README promises that `npm test` alone sets up a fresh Debian machine (or
// stops at once with the command to run), and that CI runs nothing else.

const ROOT = resolve(import.meta.dirname, '..', '..')
const SCRIPT = join(ROOT, 'scripts', 'system-deps.mjs')
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')
const packages = execFileSync(process.execPath, [SCRIPT, '--list'], { encoding: 'utf8' }).trim()

describe('the one test command', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('sets up the system first, in the test script the README names', () => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>
    expect(scripts.test).toMatch(/^node scripts\/system-deps\.mjs && npm run build && /)
    expect(read('README.md')).toContain('```sh\nnpm test\n```')
    expect(packages.split(' ')).toEqual(
      expect.arrayContaining(['chromium', 'fonts-dejavu-core', 'redis-server', 'tmux']),
    )
    expect(read('README.md')).toContain(`apt-get install -y --no-install-recommends ${packages}`)
  })

  it('is all that CI runs after npm ci', () => {
    const commands = read('.ci/run')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#') && !/^(set|cd) /.test(line))
    expect(commands).toEqual(['npm ci', 'npm test'])
    expect(read('README.md')).toContain('`npm ci && npm test`')
  })

  /** Runs the set-up with a PATH holding only `programs` (and no CHROMIUM_PATH). */
  function setUpWith(programs: string[], extra: Record<string, string> = {}) {
    const bin = mkdtempSync(join(tmpdir(), 'tidings-path-'))
    dirs.push(bin)
    for (const program of programs) symlinkSync(join('/usr/bin', program), join(bin, program))
    const { CHROMIUM_PATH: _, ...env } = process.env
    return spawnSync(process.execPath, [SCRIPT], {
      env: { ...env, PATH: bin, ...extra },
      encoding: 'utf8',
      timeout: 30_000,
    })
  }

  it('stops at once with the exact install command when it may not install', () => {
    const result = setUpWith(['apt-get'], { TIDINGS_NO_INSTALL: '1' })
    expect(result.status).toBe(1)
    for (const name of ['chromium', 'redis-server', 'tmux']) {
      expect(result.stderr).toContain(`- ${name}: `)
    }
    const root = process.getuid?.() === 0
    expect(result.stderr).toContain(
      `${root ? '' : 'sudo '}apt-get update && ${root ? '' : 'sudo '}apt-get install -y --no-install-recommends ${packages}`,
    )
    expect(result.stdout).not.toContain('Installing')
  })

  it('says what is missing without apt-get (not Debian)', () => {
    const result = setUpWith([])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('- tmux: ')
    expect(result.stderr).toContain('your system package manager')
  })

  it('counts a Chromium named by CHROMIUM_PATH as present', () => {
    const result = setUpWith(['apt-get'], {
      TIDINGS_NO_INSTALL: '1',
      CHROMIUM_PATH: process.execPath,
    })
    expect(result.stderr).not.toContain('- chromium: ')
    expect(result.stderr).toContain('- tmux: ')
  })
})
