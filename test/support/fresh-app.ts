import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

// What a user outside this repository gets: the built packages as `npm pack`
// tarballs, installed with plain npm into a temporary folder. Nothing here is
// cached between runs: each app, and its tarballs, live in their own temp dir.

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..')

/** The flags every install in a fresh app uses (fast on a warm npm cache, quiet). */
export const NPM_INSTALL_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'] as const

// npm passes its whole configuration to scripts as `npm_config_*`, among them
// `npm_config_local_prefix=<this repo>`: an npm started from a test would install
// into the repository instead of the fresh app. Only these are passed on.
const KEPT_NPM_CONFIG = new Set([
  'npm_config_cache',
  'npm_config_registry',
  'npm_config_userconfig',
  'npm_config_globalconfig',
  'npm_config_cafile',
  'npm_config_proxy',
  'npm_config_https_proxy',
  'npm_config_noproxy',
  'npm_config_strict_ssl',
])

/** The environment of a user's shell: this process's, without what `npm test` injected. */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase()
    if (lower.startsWith('npm_') && !KEPT_NPM_CONFIG.has(lower)) continue
    if (key === 'INIT_CWD' || key === 'NODE_OPTIONS' || key.startsWith('VITEST')) continue
    env[key] = value
  }
  env.npm_config_update_notifier = 'false'
  // Vitest runs tests with NODE_ENV=test; a user's shell has none.
  delete env.NODE_ENV
  return { ...env, ...extra }
}

/** A new empty folder outside the repository; `remove` deletes it. */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `tidings-${prefix}-`))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

export interface CommandResult {
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to completion (bounded by `timeoutMs`); rejects with its output on failure. */
export function exec(
  file: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CommandResult> {
  return new Promise((done, fail) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? userEnv(),
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error) {
          fail(
            new Error(
              `\`${[file, ...args].join(' ')}\` failed in ${options.cwd}: ${error.message}\n${stdout}\n${stderr}`,
              { cause: error },
            ),
          )
        } else done({ stdout, stderr })
      },
    )
  })
}

/** Runs one shell command line as a user would type it, with `bash -e`. */
export function shell(
  command: string,
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CommandResult> {
  return exec('bash', ['-e', '-o', 'pipefail', '-c', command], options)
}

/** The workspace packages that have been built (those with a `dist`). */
function builtPackages(): string[] {
  const dirs = readdirSync(join(REPO_ROOT, 'packages'))
  const missing = dirs.filter((dir) => !existsSync(join(REPO_ROOT, 'packages', dir, 'dist')))
  if (missing.length > 0) {
    throw new Error(
      `packages/${missing.join(', packages/')} not built: run \`npm run build\` first (npm test does).`,
    )
  }
  return dirs
}

/**
 * Packs every workspace package into `dest` exactly as `npm publish` would and
 * returns the tarball paths by package name (`@tidings/schema` → `.../tidings-schema-0.1.0.tgz`).
 */
export async function packTarballs(dest: string): Promise<Map<string, string>> {
  const workspaces = builtPackages().flatMap((dir) => ['-w', `packages/${dir}`])
  const { stdout } = await exec(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', dest, ...workspaces],
    { cwd: REPO_ROOT, env: userEnv() },
  )
  const packed = JSON.parse(stdout) as { name: string; filename: string }[]
  return new Map(packed.map((entry) => [entry.name, join(dest, entry.filename)]))
}

/** A long-running child (a server) in its own process group, with its output kept. */
export interface Background {
  readonly child: ChildProcess
  /** Everything it wrote so far, stdout and stderr interleaved. */
  output(): string
  /** What it wrote to stdout only. */
  stdout(): string
  /** Resolves with the first match of `pattern` in the output; rejects if the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>
  /** Resolves with how it exited: its code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends a signal to the whole process group, as a terminal's Ctrl-C does. */
  signal(name: NodeJS.Signals): void
  /** Kills what is left (for `afterAll`). */
  kill(): void
}

/** Starts a shell command line in the background, detached (its own process group, like a terminal job). */
export function background(
  command: string,
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Background {
  const child = spawn('bash', ['-c', `exec ${command}`], {
    cwd: options.cwd,
    env: options.env ?? userEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  let stdout = ''
  const listeners = new Set<() => void>()
  const onData = (chunk: Buffer) => {
    output += chunk.toString()
    for (const listener of listeners) listener()
  }
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    onData(chunk)
  })
  child.stderr?.on('data', onData)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  )
  const alive = () => child.exitCode === null && child.signalCode === null
  return {
    child,
    output: () => output,
    stdout: () => stdout,
    exited,
    waitFor: (pattern, timeoutMs) =>
      new Promise((done, fail) => {
        const finish = (error?: Error, match?: RegExpExecArray) => {
          clearTimeout(timer)
          listeners.delete(check)
          if (error) fail(error)
          else done(match!)
        }
        const check = () => {
          const match = pattern.exec(output)
          if (match) finish(undefined, match)
        }
        const timer = setTimeout(
          () =>
            finish(new Error(`no ${pattern} in ${timeoutMs} ms from \`${command}\`:\n${output}`)),
          timeoutMs,
        )
        listeners.add(check)
        void exited.then(({ code, signal }) =>
          finish(
            new Error(`\`${command}\` exited (${code ?? signal}) before ${pattern}:\n${output}`),
          ),
        )
        check()
      }),
    signal: (name) => {
      if (alive() && child.pid !== undefined) process.kill(-child.pid, name)
    },
    kill: () => {
      if (child.pid === undefined) return
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    },
  }
}
