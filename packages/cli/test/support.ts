import { type ChildProcess, spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
export const CONTRACT = fileURLToPath(new URL('./fixtures/contract.ts', import.meta.url))

/**
 * The command as a shell would start it from this checkout, straight from its
 * sources (tsx compiles them; `@tidings/source` resolves the packages to src).
 */
export const COMMAND = [
  process.execPath,
  '--conditions=@tidings/source',
  '--import',
  'tsx',
  fileURLToPath(new URL('../src/bin.ts', import.meta.url)),
]

/** A server on 127.0.0.1 whose sockets can be cut. */
export interface TestServer {
  readonly url: string
  dropAll(): void
  close(): Promise<void>
}

export async function listen(handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer(handler)
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const dropAll = () => {
    for (const socket of sockets) socket.destroy()
  }
  return {
    url: `http://127.0.0.1:${port}`,
    dropAll,
    close: () =>
      new Promise((resolve) => {
        dropAll()
        server.close(() => resolve())
      }),
  }
}

/** `tidings ...` with stdout and stderr piped, as in `tidings tail ... | jq`. */
export interface PipedRun {
  readonly out: string[]
  readonly err: string[]
  /** Resolves with the first line of `stream` matching `pattern` (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, stream?: 'out' | 'err', timeoutMs?: number): Promise<string>
  /** Ctrl-C. */
  interrupt(): void
  readonly exit: Promise<number | null>
}

export function runPiped(args: readonly string[], env: Record<string, string> = {}): PipedRun {
  const [command, ...rest] = COMMAND as [string, ...string[]]
  // Node warns when both are set; the runner may set FORCE_COLOR for itself.
  const { NO_COLOR: _, FORCE_COLOR: __, ...inherited } = process.env
  const child: ChildProcess = spawn(command, [...rest, ...args], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines = { out: [] as string[], err: [] as string[] }
  const waiters = new Set<() => void>()
  for (const name of ['out', 'err'] as const) {
    let pending = ''
    const stream = name === 'out' ? child.stdout : child.stderr
    stream?.setEncoding('utf8')
    stream?.on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\n')
      pending = parts.pop() ?? ''
      lines[name].push(...parts)
      for (const wake of waiters) wake()
    })
  }
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    out: lines.out,
    err: lines.err,
    waitFor(pattern, stream = 'out', timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = lines[stream].find((candidate) => pattern.test(candidate))
          if (line === undefined) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(line)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(
            new Error(
              `no ${stream} line matched ${pattern} within ${timeoutMs} ms.\nstdout:\n${lines.out.join('\n')}\nstderr:\n${lines.err.join('\n')}`,
            ),
          )
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    interrupt: () => child.kill('SIGINT'),
    exit,
  }
}
