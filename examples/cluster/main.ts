/**
 * `npm run demo:cluster`: the demo on two server processes sharing one Redis,
 * behind a small round-robin proxy, so you can watch chat messages cross
 * processes: each new connection goes to the next process in turn.
 *
 *   npm run demo:cluster                                  # starts a redis-server of its own
 *   REDIS_URL=redis://127.0.0.1:6379 npm run demo:cluster # or uses yours
 *   PORT=8080 npm run demo:cluster
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { startRoundRobinProxy } from './round-robin-proxy.js'

const ROOT = join(import.meta.dirname, '..', '..')
const children: ChildProcess[] = []

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })

/** A redis-server of the demo's own, without persistence, when no REDIS_URL is given. */
async function ownRedis(): Promise<{ url: string; dir: string }> {
  const binary = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((path) =>
    existsSync(path),
  )
  if (!binary) {
    throw new Error(
      'demo:cluster needs Redis: set REDIS_URL=redis://host:port, or install redis-server (apt-get install -y redis-server).',
    )
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'tidings-demo-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '']
  children.push(spawn(binary, [...args, '--appendonly', 'no'], { stdio: 'ignore' }))
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket.end() !== undefined))
      socket.on('error', () => resolve(false))
    })
    if (up) return { url: `redis://127.0.0.1:${port}`, dir }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error('redis-server did not start')
}

/** One demo process (examples/demo.ts) on a free port; resolves with its URL. */
function startProcess(name: string, redisUrl: string): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@tidings/source', join(ROOT, 'examples', 'demo.ts')],
    {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', REDIS_URL: redisUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  children.push(child)
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      const match = /running at (http:\/\/\S+)/.exec(line)
      if (match) resolve(match[1]!)
      else if (line.trim() !== '') console.log(`[${name}] ${line}`)
    })
    child.once('exit', (code) => reject(new Error(`process ${name} exited (${code})`)))
  })
}

async function main(): Promise<void> {
  const port = process.env.PORT === undefined ? 3000 : Number(process.env.PORT)
  const redis = process.env.REDIS_URL
    ? { url: process.env.REDIS_URL, dir: undefined }
    : await ownRedis()
  const urls = await Promise.all([startProcess('A', redis.url), startProcess('B', redis.url)])
  const ports = urls.map((url) => Number(new URL(url).port))
  const proxy = await startRoundRobinProxy(ports, port)
  const url = `http://127.0.0.1:${proxy.port}/`
  console.log(`Tidings cluster demo running at ${url}  (Ctrl-C to stop)`)
  console.log(
    `  chat: ${url}chat/  (open it in two windows: each connection goes to the next process)`,
  )
  console.log(`  process A: ${urls[0]}   process B: ${urls[1]}   history in Redis at ${redis.url}`)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) process.exit(1)
    stopping = true
    console.log(`\n${signal}: stopping both processes…`)
    await proxy.close()
    const servers = children.slice(-2)
    await Promise.all(
      servers.map(
        (child) =>
          new Promise((resolve) => {
            child.once('exit', resolve)
            child.kill('SIGINT')
          }),
      ),
    )
    for (const child of children) child.kill('SIGKILL')
    if (redis.dir) rmSync(redis.dir, { recursive: true, force: true })
    console.log('Stopped.')
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  for (const child of children) child.kill('SIGKILL')
  process.exit(1)
})
