import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './net.js'

const CANDIDATES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server']

/** The redis-server binary; the tests never skip silently when it is missing. */
export function redisServerPath(): string {
  const path =
    process.env.REDIS_SERVER_PATH ?? CANDIDATES.find((candidate) => existsSync(candidate))
  if (!path) {
    throw new Error(
      'The Redis tests need redis-server: run `apt-get install -y redis-server` (as .ci/run does) or set REDIS_SERVER_PATH.',
    )
  }
  return path
}

/** A redis-server of the test's own on 127.0.0.1, without persistence unless asked. */
export interface TestRedis {
  readonly port: number
  readonly url: string
  /** Stops the server (SIGKILL: as abrupt as a crash) and waits for it to exit. */
  kill(): Promise<void>
  /** Starts it again on the same port (empty, unless it persists to its dir). */
  restart(): Promise<void>
  /** SIGSTOP / SIGCONT: the server stops answering without closing connections. */
  pause(): void
  resume(): void
  /** Runs redis-cli against it and returns the output. */
  cli(...args: string[]): string
  stop(): Promise<void>
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end()
        resolve()
      })
      socket.on('error', () => {
        socket.destroy()
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on ${port}`))
        else setTimeout(attempt, 20)
      })
    }
    attempt()
  })
}

export async function startRedis(options: { persist?: boolean } = {}): Promise<TestRedis> {
  const binary = redisServerPath()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'tidings-redis-'))
  let child: ChildProcess | undefined
  const launch = async () => {
    child = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        options.persist ? '3600 1' : '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    )
    await waitForPort(port, 10_000)
  }
  const kill = async () => {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGKILL')
    await exited
  }
  await launch()
  const cli = binary.replace(/redis-server$/, 'redis-cli')
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: launch,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    cli: (...args) =>
      execFileSync(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], {
        encoding: 'utf8',
      }).trim(),
    stop: async () => {
      child?.kill('SIGCONT')
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
