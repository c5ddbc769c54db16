/**
 * `npm run bench:runs`: streams that end, the AI-response shape. Many concurrent
 * runs each emit small token events at a steady rate to 1-3 readers, then end;
 * afterwards late clients resume runs that already ended. Contenders, side by
 * side in one run, each in its own server process with the readers in another:
 *
 * - tidings-memory: `@tidings/server`, in-memory history (one process).
 * - tidings-redis: `@tidings/server` on `@tidings/redis` (history in Redis Streams).
 * - resumable-stream: Vercel's `resumable-stream` on the same Redis (pub/sub).
 *
 * The fair pairing is tidings-redis against resumable-stream: both keep what a
 * resume needs in Redis, so either survives the process that produced the run.
 *
 * Knobs (environment): RUNS_RUNS (500), RUNS_SECONDS (30), RUNS_RATE (50 tokens/s),
 * RUNS_LATE (100), RUNS_ONLY (comma list), RUNS_QUICK=1 (50 runs, 5 s).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startRedis } from '../../test/support/redis.js'
import { envInt, envList } from '../support/env.js'

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.env.RUNS_QUICK === '1'
const config = {
  runs: envInt('RUNS_RUNS', quick ? 50 : 500, 1),
  seconds: envInt('RUNS_SECONDS', quick ? 5 : 30, 1),
  rate: envInt('RUNS_RATE', 50, 1),
  late: envInt('RUNS_LATE', 100, 1),
}
const ALL = ['tidings-memory', 'tidings-redis', 'resumable-stream'] as const
const only = envList('RUNS_ONLY', ALL)
const contenders = ALL.filter((name) => only.includes(name))

function node(script: string, args: string[]): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@tidings/source', '--expose-gc', join(here, script), ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
}

/** Waits for stdout lines of a child: `next(prefix)` is the first line (not yet taken) starting with it. */
function lines(child: ChildProcess): (prefix: string) => Promise<string> {
  const seen: string[] = []
  const waiting: { prefix: string; resolve: (text: string) => void; reject: (e: Error) => void }[] =
    []
  const take = () => {
    for (const wait of [...waiting]) {
      const index = seen.findIndex((text) => text.startsWith(wait.prefix))
      if (index === -1) continue
      const [text] = seen.splice(index, 1)
      waiting.splice(waiting.indexOf(wait), 1)
      wait.resolve(text!.slice(wait.prefix.length))
    }
  }
  createInterface({ input: child.stdout! }).on('line', (text) => {
    seen.push(text)
    take()
  })
  child.once('exit', (code) => {
    for (const wait of waiting.splice(0)) wait.reject(new Error(`${wait.prefix}: exited (${code})`))
  })
  return (prefix) =>
    new Promise((resolve, reject) => {
      waiting.push({ prefix, resolve, reject })
      take()
    })
}

async function control(port: number, path: string): Promise<Record<string, number>> {
  const response = await fetch(`http://127.0.0.1:${port}/control/${path}`)
  return (await response.json()) as Record<string, number>
}

interface Row {
  name: string
  readers: number
  complete: number
  p50: number
  p99: number
  cpuPerToken: number
  memPerRunKiB: number
  late: string
  producerCalls: number
}

const redisServer = await startRedis()
const usedMemory = (): number =>
  Number(/used_memory:(\d+)/.exec(redisServer.cli('INFO', 'memory'))?.[1] ?? 0)
const rows: Row[] = []
try {
  const expected = config.rate * config.seconds
  console.log(
    `bench:runs  ${config.runs} runs x ${config.rate} tokens/s x ${config.seconds} s, 1-3 readers per run, ${config.late} late resumes; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}`,
  )
  for (const name of contenders) {
    redisServer.cli('FLUSHALL')
    const redisBefore = usedMemory()
    const server = node('server.ts', [name, String(redisServer.port)])
    try {
      const port = Number(await lines(server)('READY '))
      await control(port, `prepare?runs=${config.runs}`)
      const load = node('load.ts', [
        name,
        String(port),
        String(config.runs),
        String(expected),
        String(config.late),
      ])
      const fromLoad = lines(load)
      const resultLine = fromLoad('{')
      await fromLoad('OPEN ')
      await control(port, `start?rate=${config.rate}&seconds=${config.seconds}`)
      const result = JSON.parse(`{${await resultLine}`) as {
        readers: number
        complete: number
        p50: number
        p99: number
        late: {
          requests: number
          complete: number
          reconnects: number
          statuses: Record<string, number>
          seconds: number
        }
        live: Record<string, number>
      }
      const stats = await control(port, 'stats')
      const { live } = result
      // Redis after the late resumes: they read, they add nothing.
      const redisHeld = name === 'tidings-memory' ? 0 : usedMemory() - redisBefore
      const held = live.rss! - live.rssBefore! + redisHeld
      rows.push({
        name,
        readers: result.readers,
        complete: result.complete,
        p50: result.p50,
        p99: result.p99,
        cpuPerToken: live.cpuMicros! / live.tokensEmitted!,
        memPerRunKiB: held / config.runs / 1024,
        late: `${result.late.complete}/${result.late.requests} complete (${Object.entries(
          result.late.statuses,
        )
          .map(([status, n]) => `${n}x${status}`)
          .join(
            ', ',
          )}; ${result.late.reconnects} reconnects, ${stats.errors} errors; ${result.late.seconds.toFixed(1)} s)`,
        producerCalls: stats.producerCalls! - config.runs,
      })
      // Each row as soon as it is known: a run cut short still shows what it measured.
      console.log(`${name}: ${JSON.stringify(rows.at(-1))}`)
      load.kill()
    } finally {
      server.kill()
    }
  }
} finally {
  await redisServer.stop()
}

console.log('')
console.log(
  'contender          readers  complete  p50 ms  p99 ms  CPU us/token  held KiB/run  late resumes after the end                                producer restarts',
)
for (const row of rows) {
  console.log(
    `${row.name.padEnd(18)} ${String(row.readers).padStart(7)}  ${String(row.complete).padStart(8)}  ${row.p50.toFixed(2).padStart(6)}  ${row.p99.toFixed(2).padStart(6)}  ${row.cpuPerToken.toFixed(1).padStart(12)}  ${row.memPerRunKiB.toFixed(1).padStart(12)}  ${row.late.padEnd(58)} ${row.producerCalls}`,
  )
}
const by = (name: string) => rows.find((row) => row.name === name)
const peer = by('resumable-stream')
if (peer) {
  console.log('')
  for (const name of ['tidings-redis', 'tidings-memory']) {
    const row = by(name)
    if (!row) continue
    const fair = name === 'tidings-redis' ? ' (the fair pairing: both on Redis)' : ''
    console.log(
      `${name} / resumable-stream${fair}: p50 ${(row.p50 / peer.p50).toFixed(2)}x, p99 ${(row.p99 / peer.p99).toFixed(2)}x, CPU/token ${(row.cpuPerToken / peer.cpuPerToken).toFixed(2)}x, held/run ${(row.memPerRunKiB / peer.memPerRunKiB).toFixed(2)}x (below 1 is better)`,
    )
  }
}
