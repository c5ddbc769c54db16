/**
 * The Tidings demo: the examples (server-time, chat, ai-run) on one HTTP server,
 * with their browser code bundled by esbuild at startup.
 *
 *   npm run demo            # http://127.0.0.1:3000/
 *   PORT=8080 npm run demo
 *   REDIS_URL=redis://127.0.0.1:6379 npm run demo   # history and presence in Redis
 *
 * Tests start it in-process with {@link startDemo}.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { createRunApp, type RunStats } from './ai-run/server.js'
import { type ChatAppOptions, createChatApp } from './chat/server.js'
import { createClockApp } from './server-time/server.js'

const HERE = import.meta.dirname

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** The port to listen on; `0` picks a free one. @defaultValue 3000 */
  port?: number
  /** The address to listen on. @defaultValue '127.0.0.1' */
  host?: string
  /** The clock's interval in milliseconds (tests use a short one). @defaultValue 3000 */
  tickMs?: number
  /** Chat limits (tests use a short presence grace period). */
  chat?: ChatAppOptions
  /** The run example's pause between tokens in milliseconds (tests use a short one). @defaultValue 120 */
  runTokenMs?: number
  /**
   * A Redis URL: both examples then keep their history (and the chat its
   * presence) in Redis, so several demo processes serve one chat.
   * @defaultValue `process.env.REDIS_URL` in `main`; none (in memory) otherwise
   */
  redisUrl?: string
}

/** A running demo. */
export interface Demo {
  /** The index page, e.g. `http://127.0.0.1:3000/`. */
  readonly url: string
  /** Cuts every open chat stream of a nickname from the server side (a test hook). */
  dropChatConnections(nick: string): number
  /** What the run example counted: generators started, tokens, stream and history requests. */
  runStats(): RunStats
  /** Closes every stream, then the HTTP server. */
  close(): Promise<void>
}

const PAGES: Record<string, string> = {
  '/': 'index.html',
  '/server-time/': 'server-time/index.html',
  '/chat/': 'chat/index.html',
  '/ai-run/': 'ai-run/index.html',
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/shared/style.css': { file: 'shared/style.css', type: 'text/css; charset=utf-8' },
}

/** Bundles each page's browser entry point, in memory: `<route>` and its source map `<route>.map`. */
async function bundle(): Promise<Map<string, string>> {
  const entries = {
    '/server-time/main.js': 'server-time/main.ts',
    '/chat/main.js': 'chat/main.ts',
    '/ai-run/main.js': 'ai-run/main.ts',
  }
  const bundles = new Map<string, string>()
  await Promise.all(
    Object.entries(entries).map(async ([route, entry]) => {
      const result = await build({
        entryPoints: [join(HERE, entry)],
        // Never written: only names the outputs (`main.js` and `main.js.map`).
        outfile: join(HERE, '.demo-build', route),
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        conditions: ['@tidings/source'],
        minify: true,
        sourcemap: 'linked',
        logLevel: 'silent',
      })
      for (const output of result.outputFiles) {
        bundles.set(output.path.endsWith('.map') ? `${route}.map` : route, output.text)
      }
      if (!bundles.has(route)) throw new Error(`esbuild produced no output for ${entry}`)
    }),
  )
  return bundles
}

// Defence in depth for the chat: even if some user text were ever put into the
// page as HTML, no inline or foreign script could run.
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS })
  res.end(body)
}

/**
 * One Redis connection for both examples: a store per example (their own keys)
 * and the chat's presence. Loaded only when asked for, so the in-memory demo
 * needs no Redis at all.
 */
async function connectRedis(url: string) {
  const [{ Redis }, { createRedisStore }, { createRedisPresence }] = await Promise.all([
    import('ioredis'),
    import('@tidings/redis'),
    import('./chat/presence.js'),
  ])
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  redis.on('error', (error: Error) => console.error(`redis: ${error.message}`))
  return {
    redis,
    store: (name: string) => createRedisStore({ redis, prefix: `tidings-demo:${name}` }),
    presence: createRedisPresence(redis, 'tidings-demo:chat'),
  }
}

/**
 * Starts the demo server and resolves once it listens.
 *
 * @example
 * const demo = await startDemo({ port: 0 })
 * console.log(demo.url)
 * await demo.close()
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const bundles = await bundle()
  const shared = options.redisUrl ? await connectRedis(options.redisUrl) : undefined
  const clock = createClockApp({
    ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
    ...(shared ? { store: shared.store('clock') } : {}),
  })
  const chat = createChatApp({
    ...options.chat,
    ...(shared ? { store: shared.store('chat'), presence: shared.presence } : {}),
  })
  const runs = createRunApp({
    ...(options.runTokenMs === undefined ? {} : { tokenMs: options.runTokenMs }),
    ...(shared ? { store: shared.store('ai-run') } : {}),
  })

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost')
    switch (pathname) {
      case '/server-time/events':
        return clock.handle(req, res)
      case '/chat/events':
        return chat.handleEvents(req, res)
      case '/chat/messages':
        return chat.handleMessages(req, res)
      case '/chat/online':
        return chat.handleOnline(req, res)
      case '/ai-run/events':
        return runs.handleEvents(req, res)
      case '/server-time':
      case '/chat':
      case '/ai-run':
        res.writeHead(308, { Location: `${pathname}/` })
        res.end()
        return
    }
    if (pathname.startsWith('/ai-run/runs')) return runs.handleRuns(req, res)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' })
      res.end('Method not allowed\n')
      return
    }
    const script = bundles.get(pathname)
    if (script !== undefined) {
      const type = pathname.endsWith('.map') ? 'application/json' : 'text/javascript; charset=utf-8'
      return send(res, 200, type, script)
    }
    const page = PAGES[pathname]
    if (page !== undefined)
      return send(res, 200, 'text/html; charset=utf-8', await readFile(join(HERE, page), 'utf8'))
    const asset = STATIC[pathname]
    if (asset !== undefined)
      return send(res, 200, asset.type, await readFile(join(HERE, asset.file), 'utf8'))
    send(res, 404, 'text/plain; charset=utf-8', 'Not found\n')
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      console.error(error)
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error\n')
      else res.destroy()
    })
  })
  // The chat's client falls back to a WebSocket where a proxy buffers SSE.
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname === '/chat/events') {
      chat.handleUpgrade(req, socket, head)
    } else socket.destroy()
  })

  const host = options.host ?? '127.0.0.1'
  const wanted = options.port ?? 3000
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(wanted, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    await Promise.all([clock.close(), chat.close(), runs.close()])
    shared?.redis.disconnect()
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `Port ${wanted} is already in use on ${host}: run with PORT=<another port>.`,
        {
          cause: error,
        },
      )
    }
    throw error
  }
  const { port } = server.address() as AddressInfo
  const shownHost = host.includes(':') ? `[${host}]` : host

  let closing: Promise<void> | undefined
  return {
    url: `http://${shownHost}:${port}/`,
    dropChatConnections: (nick) => chat.dropConnections(nick),
    runStats: () => runs.stats(),
    close() {
      closing ??= (async () => {
        // Streams first (each gets a retry hint), then the listener and idle sockets.
        await Promise.all([clock.close(), chat.close(), runs.close()])
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
        shared?.redis.disconnect()
      })()
      return closing
    },
  }
}

async function main(): Promise<void> {
  const port = process.env.PORT === undefined ? 3000 : Number(process.env.PORT)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`)
  }
  const redisUrl = process.env.REDIS_URL
  const demo = await startDemo({
    port,
    ...(process.env.HOST ? { host: process.env.HOST } : {}),
    ...(redisUrl ? { redisUrl } : {}),
  })
  console.log(
    `Tidings demo running at ${demo.url}  (${redisUrl ? `history in Redis at ${redisUrl}` : 'history in memory'}; Ctrl-C to stop)`,
  )
  console.log(`  server-time: ${demo.url}server-time/`)
  console.log(`  chat:        ${demo.url}chat/`)
  console.log(`  ai-run:      ${demo.url}ai-run/`)

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) {
      console.log('Stopping now.')
      process.exit(1)
    }
    stopping = true
    console.log(`\n${signal}: closing streams…`)
    demo.close().then(
      () => {
        console.log('Stopped.')
        process.exit(0)
      },
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
  // A second Ctrl-C while draining exits at once.
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  })
}
