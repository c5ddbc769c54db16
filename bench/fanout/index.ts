/**
 * `npm run bench:fanout`: Tidings against a raw Node `http` loop, better-sse and socket.io, each
 * broadcasting from its own server process to N load clients in another process, on 127.0.0.1.
 * See bench/README.md for what is measured and how; knobs are environment variables (below).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { ChildRpc } from '../../test/support/child-rpc.js'
import { startRedis, type TestRedis } from '../../test/support/redis.js'
import { envInt, envList } from '../support/env.js'
import type { MemorySample } from '../support/memory.js'
import {
  ALL_CONTENDERS,
  type ClientMark,
  type ClientRequest,
  CONTENDERS,
  type ContenderName,
  type LatencyReport,
  REDIS_CONTENDERS,
  type ServerMark,
  type ServerReady,
  type ServerRequest,
} from './protocol.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')

const only = envList('BENCH_ONLY', CONTENDERS)
for (const name of only) {
  if (!(ALL_CONTENDERS as readonly string[]).includes(name)) {
    throw new Error(`BENCH_ONLY: unknown contender "${name}" (one of ${ALL_CONTENDERS.join(', ')})`)
  }
}
const config = {
  contenders: ALL_CONTENDERS.filter((name) => only.includes(name)),
  sizes: envList('BENCH_N', ['100', '2000']).map(Number),
  idleN: envInt('BENCH_IDLE_N', 5000),
  idleBaseN: envInt('BENCH_IDLE_BASE_N', 100),
  durationMs: envInt('BENCH_DURATION_MS', 3000),
  warmupMs: envInt('BENCH_WARMUP_MS', 1000),
  latencyMs: envInt('BENCH_LATENCY_MS', 3000),
  rate: envInt('BENCH_RATE', 10),
  burst: envInt('BENCH_BURST', 10),
  split: process.env.BENCH_EMIT === 'split',
  maxPendingPerConn: envInt('BENCH_MAX_PENDING_KIB', 16) * 1024,
  runs: Math.max(1, envInt('BENCH_RUNS', 3)),
  idleRuns: envInt('BENCH_IDLE_RUNS', 1),
  // The per-user scenario (see bench/README.md): 0 connections skips it.
  cluster: envList('BENCH_CLUSTER', ['tidings', 'tidings-redis', 'socket.io-redis']),
  clusterN: envInt('BENCH_CLUSTER_N', 2000),
  clusterProcs: envList('BENCH_CLUSTER_PROCS', ['1', '2']).map(Number),
  usersN: envInt('BENCH_USERS_N', 5000),
  usersGroups: envList('BENCH_USERS_GROUPS', ['5000', '50']).map(Number),
  usersContenders: envList('BENCH_USERS_ONLY', ['tidings', 'socket.io']),
  usersBurst: envInt('BENCH_USERS_BURST', 10),
  usersTeamRate: envInt('BENCH_USERS_TEAM_RATE', 1),
  concurrency: envInt('BENCH_CONNECT_CONCURRENCY', 200),
  profile: envList('BENCH_PROFILE', []),
  pin: process.env.BENCH_PIN !== '0',
  // Other work on a shared machine steals the pinned cores; a higher priority (root only) keeps
  // the measured processes running. 0 leaves the priority alone.
  nice: Number(process.env.BENCH_NICE ?? -10),
}
if (!Number.isInteger(config.nice) || config.nice < -20 || config.nice > 19) {
  throw new Error('BENCH_NICE must be an integer from -20 to 19')
}
for (const n of config.sizes) {
  if (!Number.isInteger(n) || n < 1) throw new Error('BENCH_N must list integers >= 1')
}
for (const groups of config.usersGroups) {
  if (config.usersN > 0 && (!Number.isInteger(groups) || groups < 1 || groups > config.usersN)) {
    throw new Error('BENCH_USERS_GROUPS must list whole numbers from 1 to BENCH_USERS_N')
  }
}
const CLUSTER_CONTENDERS: readonly ContenderName[] = ['tidings', ...REDIS_CONTENDERS]
for (const name of config.cluster) {
  if (!CLUSTER_CONTENDERS.includes(name as ContenderName)) {
    throw new Error(`BENCH_CLUSTER: one of ${CLUSTER_CONTENDERS.join(', ')}, not "${name}"`)
  }
}
const USERS_CONTENDERS: readonly ContenderName[] = ['tidings', 'socket.io']
for (const name of config.usersContenders) {
  if (!(USERS_CONTENDERS as readonly string[]).includes(name)) {
    throw new Error(`BENCH_USERS_ONLY: one of ${USERS_CONTENDERS.join(', ')}, not "${name}"`)
  }
}

// ---- child processes ----

const outDir = join(root, 'node_modules', '.cache', 'tidings-bench-fanout')
const resultsDir = join(root, 'test-results')

/** Bundles the bench's own files (packages stay external: `@tidings/server` resolves to its dist). */
async function bundle(): Promise<{ server: string; client: string }> {
  await build({
    entryPoints: { server: join(here, 'server.ts'), client: join(here, 'client.ts') },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Tidings sits in its own chunk, so other contenders' servers never load it.
    splitting: true,
    sourcemap: true,
    logLevel: 'warning',
  })
  return { server: join(outDir, 'server.mjs'), client: join(outDir, 'client.mjs') }
}

const pinning = (() => {
  if (!config.pin || cpus().length < 2) return undefined
  try {
    execFileSync('taskset', ['-c', '0', 'true'])
    return { server: '0', client: '1' }
  } catch {
    return undefined
  }
})()

const children = new Set<ChildProcess>()

const niceness = (() => {
  if (config.nice === 0) return 0
  try {
    // Without the privilege, `nice` warns and runs the command anyway: read what it got.
    const got = execFileSync('nice', ['-n', String(config.nice), 'nice'], { stdio: 'pipe' })
    return Number(got.toString().trim())
  } catch {
    return 0
  }
})()

/**
 * Node under `taskset` (when pinning) and `nice` (when allowed), with the open-file limit raised
 * to the hard limit (each process holds one descriptor per connection).
 */
function spawnNode(script: string, args: string[], cpu: string | undefined, flags: string[]) {
  const command = [
    ...(niceness !== 0 ? ['nice', '-n', String(niceness)] : []),
    ...(cpu ? ['taskset', '-c', cpu] : []),
    process.execPath,
    ...flags,
    script,
    ...args,
  ]
  const child = spawn(
    'bash',
    ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'bench', ...command],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  )
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

interface Pair {
  server: ChildRpc<ServerRequest>
  client: ChildRpc<ClientRequest>
  ready: ServerReady
}

async function startPair(scripts: { server: string; client: string }, name: ContenderName) {
  const flags = ['--expose-gc']
  if (config.profile.includes(name)) {
    const dir = join(resultsDir, 'bench-fanout-profiles')
    mkdirSync(dir, { recursive: true })
    flags.push('--cpu-prof', `--cpu-prof-dir=${dir}`)
  }
  const server = new ChildRpc<ServerRequest>(
    spawnNode(scripts.server, [name], pinning?.server, flags),
    `${name} server`,
  )
  const ready = await server.ready<ServerReady>(20_000)
  const client = new ChildRpc<ClientRequest>(
    spawnNode(scripts.client, [], pinning?.client, []),
    `${name} client`,
  )
  return { server, client, ready } satisfies Pair
}

/**
 * The full-rate window, once the server's loop runs: warm up, then two marks taken on both sides
 * `durationMs` apart; then stop, and a last client mark for what was still in flight.
 */
async function measureFullRate(pair: Pair) {
  await sleep(config.warmupMs)
  const [s0, c0] = await Promise.all([
    pair.server.call<ServerMark>({ cmd: 'mark' }),
    pair.client.call<ClientMark>({ cmd: 'mark' }),
  ])
  await sleep(config.durationMs)
  const [s1, c1] = await Promise.all([
    pair.server.call<ServerMark>({ cmd: 'mark' }),
    pair.client.call<ClientMark>({ cmd: 'mark' }),
  ])
  await pair.server.call({ cmd: 'full-stop' })
  await sleep(500)
  const after = await pair.client.call<ClientMark>({ cmd: 'mark' })
  const stats = await pair.server.call({ cmd: 'stats' })
  return { s0, c0, s1, c1, after, stats }
}

async function stopPair(pair: Pair): Promise<void> {
  await pair.client.call({ cmd: 'close' }).catch(() => undefined)
  await Promise.all([pair.client.stop(), pair.server.stop()])
}

async function connect(pair: Pair, total: number, users?: number): Promise<number> {
  const { port, path, wire } = pair.ready
  const ms = await pair.client.call<number>(
    { cmd: 'connect', port, path, wire, total, concurrency: config.concurrency, users },
    120_000,
  )
  // Every client has its handshake; wait until the contender has registered all of them.
  const deadline = performance.now() + 20_000
  for (;;) {
    const subscribers = await pair.server.call<number>({ cmd: 'subscribers' })
    if (subscribers === total) return ms
    if (performance.now() > deadline) {
      throw new Error(`${total} clients connected but the server counts ${subscribers} subscribers`)
    }
    await sleep(50)
  }
}

// ---- scenarios ----

interface FanoutResult {
  name: ContenderName
  n: number
  connectMs: number
  eventsPerSec: number
  serverCpuUsPerEvent: number
  serverCpuPct: number
  clientCpuPct: number
  emittedPerSec: number
  gatedPct: number
  latency: LatencyReport
  cutOff: number
  stats: unknown
}

interface IdleResult {
  name: ContenderName
  n: number
  rssKiBPerConn: number
  heapKiBPerConn: number
  externalKiBPerConn: number
}

const cpuMicros = (cpu: { user: number; system: number }) => cpu.user + cpu.system

async function fanout(
  scripts: { server: string; client: string },
  name: ContenderName,
  n: number,
): Promise<FanoutResult> {
  const pair = await startPair(scripts, name)
  try {
    const connectMs = await connect(pair, n)

    // Latency at a fixed rate first, on a quiet process; the first `warmupMs` are not sampled.
    const paced = pair.server.call<number>(
      { cmd: 'paced', rate: config.rate, durationMs: config.warmupMs + config.latencyMs },
      config.warmupMs + config.latencyMs + 30_000,
    )
    await sleep(config.warmupMs)
    await pair.client.call({ cmd: 'latency-reset' })
    await paced
    await sleep(500)
    const latency = await pair.client.call<LatencyReport>({ cmd: 'latency-report' })

    // Then full rate: warm up, then measure between two marks taken on both sides.
    await pair.server.call({
      cmd: 'full-start',
      burst: config.burst,
      split: config.split,
      maxPendingBytes: config.maxPendingPerConn * n,
    })
    const { s0, c0, s1, c1, after, stats } = await measureFullRate(pair)

    const delivered = c1.received - c0.received
    const clientSeconds = (c1.atMicros - c0.atMicros) / 1e6
    const serverSeconds = (s1.atMicros - s0.atMicros) / 1e6
    const serverCpu = cpuMicros(s1.cpu) - cpuMicros(s0.cpu)
    const turns = s1.bursts - s0.bursts + (s1.gated - s0.gated)
    return {
      name,
      n,
      connectMs,
      eventsPerSec: delivered / clientSeconds,
      serverCpuUsPerEvent: serverCpu / delivered,
      serverCpuPct: serverCpu / (serverSeconds * 1e4),
      clientCpuPct: (cpuMicros(c1.cpu) - cpuMicros(c0.cpu)) / (clientSeconds * 1e4),
      emittedPerSec: (s1.emitted - s0.emitted) / serverSeconds,
      gatedPct: turns === 0 ? 0 : ((s1.gated - s0.gated) / turns) * 100,
      latency,
      cutOff: after.closed,
      stats,
    }
  } finally {
    await stopPair(pair)
  }
}

async function idle(scripts: { server: string; client: string }, name: ContenderName) {
  const pair = await startPair(scripts, name)
  try {
    // Measure from a warm baseline (code paths of a first connection loaded) to N connections.
    const base = Math.min(config.idleBaseN, config.idleN - 1)
    await connect(pair, base)
    await sleep(500)
    const m0 = await pair.server.call<MemorySample>({ cmd: 'memory' })
    await connect(pair, config.idleN)
    await sleep(1000)
    const m1 = await pair.server.call<MemorySample>({ cmd: 'memory' })
    const per = (key: keyof MemorySample) => (m1[key] - m0[key]) / (config.idleN - base) / 1024
    return {
      name,
      n: config.idleN,
      rssKiBPerConn: per('rss'),
      heapKiBPerConn: per('heapUsed'),
      externalKiBPerConn: per('external'),
    } satisfies IdleResult
  } finally {
    await stopPair(pair)
  }
}

/**
 * The per-user scenario: N connections on `team`; the first `groups` of them also on `user:<i>`
 * (one connection per user), so there are `groups` + 1 distinct topic sets. Per-user `tick` events
 * to random users at full rate (each reaches one connection), `team` events at a fixed rate (every
 * connection). Only the number of groups changes between runs.
 */
interface UsersResult {
  name: ContenderName
  n: number
  groups: number
  /** Per-user events delivered per second, each counted once per connection it reached. */
  deliveriesPerSec: number
  /** Per-user emits per second, as delivered: deliveries / connections per user. */
  emitsPerSec: number
  /** `team` events delivered per second (every connection gets each). */
  teamDeliveriesPerSec: number
  /** Per-user events the server emitted per second (above the delivered rate: some in flight). */
  emittedPerSec: number
  /** Turns of the server's loop per second. */
  turnsPerSec: number
  serverCpuUsPerDelivery: number
  clientCpuUsPerDelivery: number
  serverCpuPct: number
  clientCpuPct: number
  gatedPct: number
  cutOff: number
  stats: unknown
}

async function users(
  scripts: { server: string; client: string },
  name: ContenderName,
  groups: number,
): Promise<UsersResult> {
  const n = config.usersN
  const pair = await startPair(scripts, name)
  try {
    await connect(pair, n, groups)
    await pair.server.call({
      cmd: 'users-start',
      users: groups,
      burst: config.usersBurst,
      teamRate: config.usersTeamRate,
      maxPendingBytes: config.maxPendingPerConn * n,
    })
    const { s0, c0, s1, c1, after, stats } = await measureFullRate(pair)

    const deliveries = c1.received - c0.received
    const teamDeliveries = (s1.teamEmitted - s0.teamEmitted) * n
    const clientSeconds = (c1.atMicros - c0.atMicros) / 1e6
    const serverSeconds = (s1.atMicros - s0.atMicros) / 1e6
    const serverCpu = cpuMicros(s1.cpu) - cpuMicros(s0.cpu)
    const clientCpu = cpuMicros(c1.cpu) - cpuMicros(c0.cpu)
    const turns = s1.bursts - s0.bursts + (s1.gated - s0.gated)
    return {
      name,
      n,
      groups,
      deliveriesPerSec: deliveries / clientSeconds,
      emitsPerSec: deliveries / clientSeconds,
      teamDeliveriesPerSec: teamDeliveries / serverSeconds,
      emittedPerSec: (s1.emitted - s0.emitted) / serverSeconds,
      turnsPerSec: turns / serverSeconds,
      serverCpuUsPerDelivery: serverCpu / (deliveries + teamDeliveries),
      clientCpuUsPerDelivery: clientCpu / (deliveries + teamDeliveries),
      serverCpuPct: serverCpu / (serverSeconds * 1e4),
      clientCpuPct: clientCpu / (clientSeconds * 1e4),
      gatedPct: turns === 0 ? 0 : ((s1.gated - s0.gated) / turns) * 100,
      cutOff: after.closed,
      stats,
    }
  } finally {
    await stopPair(pair)
  }
}

// ---- on Redis: one and two server processes ----

/**
 * The cluster section: `procs` server processes of one contender sharing a Redis (Tidings on
 * `@tidings/redis`, socket.io with its Redis Streams adapter), N clients split evenly between
 * them, every event to every client. Latency at a fixed rate from the first process; then full
 * rate from every process. Nothing is pinned here: the servers, Redis and the load process share
 * the machine's cores, so besides events/s it reports what scales regardless of cores, delivered
 * events per server CPU-second, with the load process's and Redis's CPU beside it.
 */
interface ClusterResult {
  name: ContenderName
  procs: number
  n: number
  eventsPerSec: number
  /** Delivered events per CPU-second of all server processes together. */
  perServerCpuSecond: number
  serverCpuPct: number
  clientCpuPct: number
  redisCpuPct: number
  gatedPct: number
  latency: LatencyReport
  cutOff: number
}

function redisCpuSeconds(redis: TestRedis): number {
  const info = redis.cli('INFO', 'cpu')
  const read = (key: string) => Number(new RegExp(`${key}:([0-9.]+)`).exec(info)?.[1] ?? 0)
  return read('used_cpu_sys') + read('used_cpu_user')
}

async function cluster(
  scripts: { server: string; client: string },
  redis: TestRedis,
  name: ContenderName,
  procs: number,
  run: number,
): Promise<ClusterResult> {
  const n = config.clusterN
  redis.cli('FLUSHALL')
  process.env.BENCH_REDIS_PORT = String(redis.port)
  process.env.BENCH_REDIS_PREFIX = `bench-${run}-${procs}`
  const servers: { rpc: ChildRpc<ServerRequest>; ready: ServerReady }[] = []
  const client = new ChildRpc<ClientRequest>(
    spawnNode(scripts.client, [], undefined, []),
    `${name} client`,
  )
  try {
    for (let i = 0; i < procs; i++) {
      const rpc = new ChildRpc<ServerRequest>(
        spawnNode(scripts.server, [name], undefined, ['--expose-gc']),
        `${name} server ${i}`,
      )
      servers.push({ rpc, ready: await rpc.ready<ServerReady>(20_000) })
    }
    for (const [i, { ready }] of servers.entries()) {
      const { port, path, wire } = ready
      await client.call(
        {
          cmd: 'connect',
          port,
          path,
          wire,
          total: (n * (i + 1)) / procs,
          concurrency: config.concurrency,
        },
        120_000,
      )
    }
    const deadline = performance.now() + 20_000
    for (;;) {
      const counts = await Promise.all(
        servers.map((s) => s.rpc.call<number>({ cmd: 'subscribers' })),
      )
      if (counts.every((count) => count === n / procs)) break
      if (performance.now() > deadline) throw new Error(`subscribers ${counts.join(', ')} of ${n}`)
      await sleep(50)
    }
    const first = servers[0]!.rpc
    const paced = first.call<number>(
      { cmd: 'paced', rate: config.rate, durationMs: config.warmupMs + config.latencyMs },
      config.warmupMs + config.latencyMs + 30_000,
    )
    await sleep(config.warmupMs)
    await client.call({ cmd: 'latency-reset' })
    await paced
    await sleep(500)
    const latency = await client.call<LatencyReport>({ cmd: 'latency-report' })

    for (const { rpc } of servers) {
      await rpc.call({
        cmd: 'full-start',
        burst: config.burst,
        split: false,
        maxPendingBytes: (config.maxPendingPerConn * n) / procs,
      })
    }
    await sleep(config.warmupMs)
    const mark = () =>
      Promise.all([
        Promise.all(servers.map((s) => s.rpc.call<ServerMark>({ cmd: 'mark' }))),
        client.call<ClientMark>({ cmd: 'mark' }),
        redisCpuSeconds(redis),
      ])
    const [s0, c0, r0] = await mark()
    await sleep(config.durationMs)
    const [s1, c1, r1] = await mark()
    for (const { rpc } of servers) await rpc.call({ cmd: 'full-stop' })
    await sleep(500)
    const after = await client.call<ClientMark>({ cmd: 'mark' })
    const delivered = c1.received - c0.received
    const seconds = (c1.atMicros - c0.atMicros) / 1e6
    const serverCpu = s1.reduce((sum, m, i) => sum + cpuMicros(m.cpu) - cpuMicros(s0[i]!.cpu), 0)
    const gated = s1.reduce((sum, m, i) => sum + m.gated - s0[i]!.gated, 0)
    const turns = s1.reduce((sum, m, i) => sum + m.bursts - s0[i]!.bursts, 0) + gated
    return {
      name,
      procs,
      n,
      eventsPerSec: delivered / seconds,
      perServerCpuSecond: delivered / (serverCpu / 1e6),
      serverCpuPct: serverCpu / (seconds * 1e4),
      clientCpuPct: (cpuMicros(c1.cpu) - cpuMicros(c0.cpu)) / (seconds * 1e4),
      redisCpuPct: ((r1 - r0) / seconds) * 100,
      gatedPct: turns === 0 ? 0 : (gated / turns) * 100,
      latency,
      cutOff: after.closed,
    }
  } finally {
    await client.call({ cmd: 'close' }).catch(() => undefined)
    await Promise.all([client.stop(), ...servers.map((s) => s.rpc.stop())])
  }
}

function clusterTable(results: ClusterResult[]): string {
  const m = (name: ContenderName, procs: number, pick: (r: ClusterResult) => number) => {
    const rows = results.filter((r) => r.name === name && r.procs === procs)
    return rows.length > 0 ? medianOf(rows, pick) : Number.NaN
  }
  const rows: string[][] = []
  for (const name of CLUSTER_CONTENDERS.filter((c) => config.cluster.includes(c))) {
    for (const procs of config.clusterProcs) {
      if (!results.some((r) => r.name === name && r.procs === procs)) continue
      const at = (pick: (r: ClusterResult) => number) => m(name, procs, pick)
      rows.push([
        name === 'tidings' ? 'tidings (memory)' : name,
        String(procs),
        fmt(at((r) => r.eventsPerSec)),
        fmt(at((r) => r.perServerCpuSecond)),
        `${fmt(at((r) => r.serverCpuPct))}%`,
        `${fmt(at((r) => r.clientCpuPct))}%`,
        `${fmt(at((r) => r.redisCpuPct))}%`,
        `${fmt(at((r) => r.gatedPct))}%`,
        fmt(
          at((r) => r.latency.p50Ms),
          2,
        ),
        fmt(
          at((r) => r.latency.p99Ms),
          2,
        ),
        fmt(at((r) => r.cutOff)),
      ])
    }
  }
  const lines = [
    `on Redis: N = ${config.clusterN} clients split over the server processes, every event to every client`,
    table(
      [
        'contender',
        'procs',
        'events/s',
        'per server CPU-s',
        'servers CPU',
        'load CPU',
        'redis CPU',
        'gated',
        'p50 ms',
        'p99 ms',
        'cut off',
      ],
      rows,
    ),
  ]
  const ratio = (
    a: [ContenderName, number],
    b: [ContenderName, number],
    pick: (r: ClusterResult) => number,
  ) => m(a[0], a[1], pick) / m(b[0], b[1], pick)
  const events = (r: ClusterResult) => r.eventsPerSec
  const perCpu = (r: ClusterResult) => r.perServerCpuSecond
  const p99 = (r: ClusterResult) => r.latency.p99Ms
  const has = (name: ContenderName, procs: number) =>
    results.some((r) => r.name === name && r.procs === procs)
  if (has('tidings-redis', 1) && has('tidings', 1)) {
    lines.push(
      `tidings on Redis / in memory, 1 process: events/s ${fmt(ratio(['tidings-redis', 1], ['tidings', 1], events), 2)}x (target >= 0.7), per server CPU-s ${fmt(ratio(['tidings-redis', 1], ['tidings', 1], perCpu), 2)}x; p99 at ${config.rate} ev/s ${fmt(m('tidings-redis', 1, p99) - m('tidings', 1, p99), 2)} ms more (target <= 2)`,
    )
  }
  if (has('tidings-redis', 2) && has('tidings-redis', 1)) {
    lines.push(
      `tidings on Redis, 2 processes / 1: events/s ${fmt(ratio(['tidings-redis', 2], ['tidings-redis', 1], events), 2)}x (target >= 1.5), per server CPU-s ${fmt(ratio(['tidings-redis', 2], ['tidings-redis', 1], perCpu), 2)}x`,
    )
  }
  for (const procs of config.clusterProcs) {
    if (has('tidings-redis', procs) && has('socket.io-redis', procs)) {
      lines.push(
        `tidings / socket.io on Redis, ${procs} process${procs > 1 ? 'es' : ''}: events/s ${fmt(ratio(['tidings-redis', procs], ['socket.io-redis', procs], events), 2)}x, per server CPU-s ${fmt(ratio(['tidings-redis', procs], ['socket.io-redis', procs], perCpu), 2)}x`,
      )
    }
  }
  return lines.join('\n')
}

// ---- report ----

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function medianOf<T>(rows: T[], pick: (row: T) => number): number {
  return median(rows.map(pick))
}

function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '-'
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  })
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

function fanoutTable(n: number, results: FanoutResult[]): string {
  const byName = new Map<ContenderName, FanoutResult[]>()
  for (const r of results.filter((r) => r.n === n)) {
    byName.set(r.name, [...(byName.get(r.name) ?? []), r])
  }
  const m = (name: ContenderName, pick: (r: FanoutResult) => number) => {
    const rows = byName.get(name)
    return rows ? medianOf(rows, pick) : Number.NaN
  }
  const ratio = (name: ContenderName, pick: (r: FanoutResult) => number) =>
    m(name, pick) / m('raw', pick)
  const rows = config.contenders
    .filter((name) => byName.has(name))
    .map((name) => [
      name,
      fmt(m(name, (r) => r.eventsPerSec)),
      `${fmt(
        ratio(name, (r) => r.eventsPerSec),
        2,
      )}x`,
      fmt(
        m(name, (r) => r.serverCpuUsPerEvent),
        2,
      ),
      `${fmt(
        ratio(name, (r) => r.serverCpuUsPerEvent),
        2,
      )}x`,
      `${fmt(m(name, (r) => r.serverCpuPct))}%`,
      `${fmt(m(name, (r) => r.clientCpuPct))}%`,
      `${fmt(m(name, (r) => r.gatedPct))}%`,
      fmt(
        m(name, (r) => r.latency.p50Ms),
        2,
      ),
      fmt(
        m(name, (r) => r.latency.p99Ms),
        2,
      ),
      `${fmt(
        ratio(name, (r) => r.latency.p99Ms),
        2,
      )}x`,
      fmt(m(name, (r) => r.cutOff)),
    ])
  return (
    table(
      [
        `N = ${n}`,
        'events/s',
        'vs raw',
        'srv CPU us/ev',
        'vs raw',
        'srv CPU',
        'client CPU',
        'gated',
        'p50 ms',
        'p99 ms',
        'p99 vs raw',
        'cut off',
      ],
      rows,
    ) +
    wsRatio(
      byName.has('tidings-ws') && byName.has('raw-ws'),
      () =>
        `tidings-ws / raw-ws: events/s ${fmt(m('tidings-ws', (r) => r.eventsPerSec) / m('raw-ws', (r) => r.eventsPerSec), 2)}x (target >= 1.0), server CPU per event ${fmt(m('tidings-ws', (r) => r.serverCpuUsPerEvent) / m('raw-ws', (r) => r.serverCpuUsPerEvent), 2)}x`,
    )
  )
}

/** A line under a table comparing the WebSocket contenders (the "vs raw" columns compare with SSE's raw loop). */
function wsRatio(present: boolean, line: () => string): string {
  return present ? `\n${line()}` : ''
}

function idleTable(results: IdleResult[]): string {
  const m = (name: ContenderName, pick: (r: IdleResult) => number) => {
    const rows = results.filter((r) => r.name === name)
    return rows.length > 0 ? medianOf(rows, pick) : Number.NaN
  }
  const rows = config.contenders
    .filter((name) => results.some((r) => r.name === name))
    .map((name) => [
      name,
      fmt(
        m(name, (r) => r.rssKiBPerConn),
        1,
      ),
      `${fmt(m(name, (r) => r.rssKiBPerConn) / m('raw', (r) => r.rssKiBPerConn), 2)}x`,
      fmt(
        m(name, (r) => r.heapKiBPerConn),
        1,
      ),
      fmt(
        m(name, (r) => r.externalKiBPerConn),
        1,
      ),
    ])
  const has = (name: ContenderName) => results.some((r) => r.name === name)
  return (
    table(
      [`idle N = ${config.idleN}`, 'RSS KiB/conn', 'vs raw', 'heap KiB/conn', 'external KiB/conn'],
      rows,
    ) +
    wsRatio(
      has('tidings-ws') && has('raw-ws'),
      () =>
        `tidings-ws / raw-ws: idle RSS per connection ${fmt(m('tidings-ws', (r) => r.rssKiBPerConn) / m('raw-ws', (r) => r.rssKiBPerConn), 2)}x (target <= 1.2)`,
    )
  )
}

function usersTable(results: UsersResult[]): string {
  const m = (name: ContenderName, groups: number, pick: (r: UsersResult) => number) => {
    const rows = results.filter((r) => r.name === name && r.groups === groups)
    return rows.length > 0 ? medianOf(rows, pick) : Number.NaN
  }
  const rows: string[][] = []
  for (const name of USERS_CONTENDERS.filter((c) => config.usersContenders.includes(c))) {
    for (const groups of config.usersGroups) {
      if (!results.some((r) => r.name === name && r.groups === groups)) continue
      const at = (pick: (r: UsersResult) => number) => m(name, groups, pick)
      rows.push([
        name,
        fmt(groups),
        fmt(config.usersN - groups),
        fmt(at((r) => r.emitsPerSec)),
        fmt(at((r) => r.deliveriesPerSec)),
        fmt(at((r) => r.teamDeliveriesPerSec)),
        fmt(
          at((r) => r.serverCpuUsPerDelivery),
          2,
        ),
        fmt(
          at((r) => r.clientCpuUsPerDelivery),
          2,
        ),
        `${fmt(at((r) => r.serverCpuPct))}%`,
        `${fmt(at((r) => r.clientCpuPct))}%`,
        `${fmt(at((r) => r.gatedPct))}%`,
        fmt(at((r) => r.cutOff)),
      ])
    }
  }
  const lines = [
    `per-user topics: N = ${config.usersN} connections on team, <groups> of them also on user:<k> (one connection per user); ${config.usersBurst} per-user emits per turn at full rate, ${config.usersTeamRate} team emits/s`,
    table(
      [
        'contender',
        'groups',
        'team-only conns',
        'user emits/s',
        'user deliveries/s',
        'team deliveries/s',
        'srv CPU us/ev',
        'client CPU us/ev',
        'srv CPU',
        'client CPU',
        'gated',
        'cut off',
      ],
      rows,
    ),
  ]
  const [many, few] = [Math.max(...config.usersGroups), Math.min(...config.usersGroups)]
  const emits = (name: ContenderName, groups: number) => m(name, groups, (r) => r.emitsPerSec)
  const cpu = (name: ContenderName, groups: number) =>
    m(name, groups, (r) => r.serverCpuUsPerDelivery)
  if (many !== few && results.some((r) => r.name === 'tidings')) {
    lines.push(
      `tidings ${many} groups / ${few} groups: per-user emits/s ${fmt(emits('tidings', many) / emits('tidings', few), 2)}x (target >= 0.8); server CPU per delivery ${fmt(cpu('tidings', many) / cpu('tidings', few), 2)}x`,
    )
  }
  if (results.some((r) => r.name === 'tidings') && results.some((r) => r.name === 'socket.io')) {
    for (const groups of config.usersGroups) {
      lines.push(
        `tidings / socket.io at ${groups} groups (rooms): per-user emits/s ${fmt(m('tidings', groups, (r) => r.emitsPerSec) / m('socket.io', groups, (r) => r.emitsPerSec), 2)}x (target >= 1.5); server CPU per delivery ${fmt(cpu('tidings', groups) / cpu('socket.io', groups), 2)}x`,
      )
    }
  }
  return lines.join('\n')
}

// ---- main ----

async function main(): Promise<void> {
  const startedAt = performance.now()
  const scripts = await bundle()
  const limit = execFileSync('bash', ['-c', 'ulimit -Hn']).toString().trim()
  console.log(
    [
      `fan-out bench: ${config.contenders.join(', ')}; N = ${config.sizes.join(', ')}; idle N = ${config.idleN}; runs ${config.runs} (idle: ${Math.min(config.idleRuns, config.runs)})`,
      `full rate: bursts of ${config.burst} events per setImmediate turn${config.split ? ' (each event from its own setImmediate callback)' : ''} for ${config.durationMs} ms (after ${config.warmupMs} ms warm-up), gated at ${config.maxPendingPerConn / 1024} KiB mean unsent per socket`,
      `latency: ${config.rate} events/s for ${config.latencyMs} ms; node ${process.version}; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}); load avg ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
      `${
        pinning
          ? `pinned: server process on CPU ${pinning.server}, client process on CPU ${pinning.client} (taskset)`
          : 'not pinned (BENCH_PIN=0, no taskset, or one CPU)'
      }; nice ${niceness}`,
      `open-file hard limit per process: ${limit}`,
      config.usersN > 0
        ? `per-user: ${config.usersContenders.join(', ')}; N = ${config.usersN} on team, ${config.usersGroups.join(' or ')} of them also on their own user topic`
        : 'per-user: skipped (BENCH_USERS_N=0)',
    ].join('\n'),
  )

  const fanoutResults: FanoutResult[] = []
  const usersResults: UsersResult[] = []
  const idleResults: IdleResult[] = []
  const clusterResults: ClusterResult[] = []
  let redis: TestRedis | undefined
  for (let run = 0; run < config.runs; run++) {
    // Rotate the order between runs so no contender always goes first on a cold machine.
    const order = config.contenders.map(
      (_, i) => config.contenders[(i + run) % config.contenders.length]!,
    )
    for (const n of config.sizes) {
      for (const name of order) {
        const r = await fanout(scripts, name, n)
        fanoutResults.push(r)
        console.log(
          `  run ${run + 1} N=${n} ${name}: ${fmt(r.eventsPerSec)} ev/s, ${fmt(r.serverCpuUsPerEvent, 2)} us/ev, server ${fmt(r.serverCpuPct)}% client ${fmt(r.clientCpuPct)}% CPU, gated ${fmt(r.gatedPct)}%, p50 ${fmt(r.latency.p50Ms, 2)} p99 ${fmt(r.latency.p99Ms, 2)} max ${fmt(r.latency.maxMs, 1)} ms (${r.latency.samples} samples), connect ${fmt(r.connectMs)} ms, cut off ${r.cutOff}, stats ${JSON.stringify(r.stats)}`,
        )
      }
    }
    if (config.usersN > 0) {
      const names = USERS_CONTENDERS.filter((c) => config.usersContenders.includes(c))
      const order = names.map((_, i) => names[(i + run) % names.length]!)
      for (const groups of config.usersGroups) {
        for (const name of order) {
          const r = await users(scripts, name, groups)
          usersResults.push(r)
          console.log(
            `  run ${run + 1} users N=${r.n} groups=${groups} ${name}: ${fmt(r.emitsPerSec)} user emits/s (${fmt(r.emittedPerSec)} emitted, ${fmt(r.turnsPerSec)} turns/s), ${fmt(r.deliveriesPerSec)} deliveries/s, team ${fmt(r.teamDeliveriesPerSec)}/s, ${fmt(r.serverCpuUsPerDelivery, 2)} us/ev server, ${fmt(r.clientCpuUsPerDelivery, 2)} us/ev client, server ${fmt(r.serverCpuPct)}% client ${fmt(r.clientCpuPct)}% CPU, gated ${fmt(r.gatedPct)}%, cut off ${r.cutOff}, stats ${JSON.stringify(r.stats)}`,
          )
        }
      }
    }
    if (config.cluster.length > 0 && config.clusterN > 0) {
      redis ??= await startRedis()
      for (const name of config.cluster as ContenderName[]) {
        for (const procs of config.clusterProcs) {
          if (name === 'tidings' && procs > 1) continue
          const r = await cluster(scripts, redis, name, procs, run)
          clusterResults.push(r)
          console.log(
            `  run ${run + 1} cluster ${name} x${procs}: ${fmt(r.eventsPerSec)} ev/s, ${fmt(r.perServerCpuSecond)} per server CPU-s, servers ${fmt(r.serverCpuPct)}% load ${fmt(r.clientCpuPct)}% redis ${fmt(r.redisCpuPct)}% CPU, gated ${fmt(r.gatedPct)}%, p50 ${fmt(r.latency.p50Ms, 2)} p99 ${fmt(r.latency.p99Ms, 2)} ms, cut off ${r.cutOff}`,
          )
        }
      }
    }
    if (config.idleN > 0 && run < config.idleRuns) {
      for (const name of order) {
        const r = await idle(scripts, name)
        idleResults.push(r)
        console.log(
          `  run ${run + 1} idle N=${r.n} ${name}: RSS ${fmt(r.rssKiBPerConn, 1)} KiB/conn, heap ${fmt(r.heapKiBPerConn, 1)} KiB/conn`,
        )
      }
    }
  }

  console.log('')
  for (const n of config.sizes) console.log(`${fanoutTable(n, fanoutResults)}\n`)
  if (idleResults.length > 0) console.log(`${idleTable(idleResults)}\n`)
  if (usersResults.length > 0) console.log(`${usersTable(usersResults)}\n`)
  if (clusterResults.length > 0) console.log(`${clusterTable(clusterResults)}\n`)
  await redis?.stop()
  console.log(
    `${config.runs > 1 ? `medians of ${config.runs} runs; ` : ''}done in ${fmt((performance.now() - startedAt) / 1000)} s`,
  )
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(
    join(resultsDir, 'bench-fanout.json'),
    `${JSON.stringify({ config, fanout: fanoutResults, idle: idleResults, users: usersResults, cluster: clusterResults }, null, 2)}\n`,
  )
}

try {
  await main()
} catch (error) {
  console.error(error)
  process.exitCode = 1
} finally {
  for (const child of children) child.kill('SIGKILL')
}
