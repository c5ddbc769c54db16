import { spawn } from 'node:child_process'
import { resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..', '..')

/** An `npm run` script started as a person starts it from a terminal. */
export interface NpmScript {
  /** Everything it printed so far, stdout and stderr. */
  readonly output: () => string
  /** Resolves with the first match of `pattern` in its output; rejects if it exits first. */
  readonly waitFor: (pattern: RegExp) => Promise<RegExpExecArray>
  /** Ctrl-C (SIGINT to its process group); resolves with 'ok' for a clean exit, else the signal or code. */
  readonly interrupt: () => Promise<string>
  /** SIGKILL to its process group, if it still runs (for afterAll). */
  readonly kill: () => void
}

/**
 * Runs `npm run <name>` in its own process group, like a terminal's foreground
 * job, so that Ctrl-C reaches the script and everything it started.
 */
export function runNpmScript(name: string, env: Record<string, string>): NpmScript {
  const child = spawn('npm', ['run', '--silent', name], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const listeners = new Set<() => void>()
  const collect = (chunk: Buffer) => {
    output += chunk.toString()
    for (const listener of listeners) listener()
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  // npm re-raises the signal its script died of, so a clean Ctrl-C ends in exit 0 or SIGINT.
  const exited = new Promise<string>((done) =>
    child.once('exit', (code, signal) => done(code === 0 ? 'ok' : String(signal ?? code))),
  )
  return {
    output: () => output,
    waitFor: (pattern) =>
      new Promise((done, fail) => {
        const check = () => {
          const match = pattern.exec(output)
          if (!match) return
          listeners.delete(check)
          done(match)
        }
        listeners.add(check)
        check()
        void exited.then(() => fail(new Error(`npm run ${name} exited early:\n${output}`)))
      }),
    interrupt: () => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGINT')
      return exited
    },
    kill: () => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
    },
  }
}
