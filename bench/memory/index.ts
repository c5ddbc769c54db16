/**
 * `npm run bench:memory`: how much memory a server process takes when streams
 * do not keep up, against the bound Tidings promises (`maxBufferBytes` per
 * connection plus a constant), beside peers under the same load. Each scenario
 * runs in a fresh server process (`server.ts`, with `--expose-gc`) loaded by
 * another process (`load.ts`). See bench/README.md ("Memory").
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { ChildRpc } from '../../test/support/child-rpc.js'
import { envInt, envList } from '../support/env.js'
import type { MemorySample } from '../support/memory.js'
import {
  CONTENDERS,
  type ContenderName,
  type LoadProgress,
  type LoadRequest,
  type Peak,
  type ServerOptions,
  type ServerReady,
  type ServerRequest,
} from './protocol.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const MiB = 1024 * 1024

const SCENARIOS = ['replay', 'burst', 'burst-read'] as const
type ScenarioName = (typeof SCENARIOS)[number]

const only = envList('MEM_ONLY', CONTENDERS)
for (const name of only) {
  if (!(CONTENDERS as readonly string[]).includes(name)) {
    throw new Error(`MEM_ONLY: unknown contender "${name}" (one of ${CONTENDERS.join(', ')})`)
  }
}
const scenarios = envList('MEM_SCENARIOS', SCENARIOS)
for (const name of scenarios) {
  if (!(SCENARIOS as readonly string[]).includes(name)) {
    throw new Error(`MEM_SCENARIOS: unknown scenario "${name}" (one of ${SCENARIOS.join(', ')})`)
  }
}
const config = {
  contenders: CONTENDERS.filter((name) => only.includes(name)),
  scenarios: SCENARIOS.filter((name) => scenarios.includes(name)),
  maxBufferBytes: envInt('MEM_MAX_BUFFER_KIB', 1024) * 1024,
  eventBytes: envInt('MEM_EVENT_BYTES', 10 * 1024),
  historyEvents: envInt('MEM_HISTORY', 1000),
  replayStreams: envInt('MEM_REPLAY_STREAMS', 100),
  burstEvents: envInt('MEM_BURST_EVENTS', 800),
  burstStreams: envInt('MEM_BURST_STREAMS', 200),
  settleMs: envInt('MEM_SETTLE_MS', 3000),
  readTimeoutMs: envInt('MEM_READ_TIMEOUT_MS', 120_000),
  // Allocator and GC headroom allowed on top of what must be held.
  slackBytes: envInt('MEM_SLACK_MIB', 32) * MiB,
}

interface Result {
  scenario: ScenarioName
  contender: ContenderName
  streams: number
  baseline: number
  peak: number
  peakSource: Peak['source']
  settled: number
  /** maxBufferBytes × streams + the constant: baseline + what the history must hold + slack. */
  bound: number
  /** Events the readers received (burst-read), of `expected`. */
  delivered: number
  expected: number
  closedByServer: number
  stats: unknown
  note: string
}

/** Polls `opened` until it reaches `count` (bounded). */
async function waitOpened(server: ChildRpc<ServerRequest>, count: number): Promise<number> {
  const deadline = performance.now() + 60_000
  for (;;) {
    const opened = await server.call<number>({ cmd: 'opened' })
    if (opened >= count || performance.now() > deadline) return opened
    await sleep(50)
  }
}

async function run(scenario: ScenarioName, contender: ContenderName): Promise<Result> {
  const options: ServerOptions = {
    maxBufferBytes: config.maxBufferBytes,
    historyEvents: config.historyEvents,
  }
  const server = ChildRpc.start<ServerRequest>(
    'bench/memory/server.ts',
    [contender, JSON.stringify(options)],
    `${contender} server`,
    { source: false, nodeFlags: ['--expose-gc'] },
  )
  const load = ChildRpc.start<LoadRequest>('bench/memory/load.ts', [], 'load', { source: false })
  try {
    const ready = await server.ready<ServerReady>()
    await load.ready()
    const open = { cmd: 'open', port: ready.port, wire: ready.wire, path: ready.path } as const
    const notes: string[] = []
    let baseline: MemorySample
    let streams: number
    let held: number
    let expected = 0
    let delivered = 0
    if (scenario === 'replay') {
      streams = config.replayStreams
      const firstId = await server.call<string | null>(
        { cmd: 'prime', count: config.historyEvents, size: config.eventBytes },
        120_000,
      )
      // The history is in the baseline: it is held whatever happens next.
      held = 0
      baseline = await server.call<MemorySample>({ cmd: 'memory' })
      await server.call({ cmd: 'reset-peak' })
      await load.call(
        { ...open, count: streams, read: false, perUser: false, lastEventId: firstId ?? undefined },
        120_000,
      )
      const opened = await waitOpened(server, streams)
      if (opened < streams) notes.push(`${opened} of ${streams} streams opened`)
      await sleep(config.settleMs)
    } else {
      const read = scenario === 'burst-read'
      streams = config.burstStreams
      await load.call({ ...open, count: streams, read, perUser: true }, 120_000)
      const opened = await waitOpened(server, streams)
      if (opened < streams) notes.push(`${opened} of ${streams} streams opened`)
      await sleep(500)
      // What the history keeps of the burst is held whatever happens.
      held = Math.min(config.burstEvents, config.historyEvents) * config.eventBytes
      baseline = await server.call<MemorySample>({ cmd: 'memory' })
      await server.call({ cmd: 'reset-peak' })
      await server.call(
        { cmd: 'burst', count: config.burstEvents, size: config.eventBytes, topic: 'team' },
        120_000,
      )
      if (read) {
        expected = streams * config.burstEvents
        const deadline = performance.now() + config.readTimeoutMs
        for (;;) {
          const progress = await load.call<LoadProgress>({ cmd: 'progress' })
          delivered = progress.events
          if (delivered >= expected || performance.now() > deadline) break
          await sleep(100)
        }
        if (delivered < expected) notes.push(`readers timed out after ${config.readTimeoutMs} ms`)
        await sleep(500)
      } else {
        await sleep(config.settleMs)
      }
    }
    const peak = await server.call<Peak>({ cmd: 'peak' })
    const settled = await server.call<MemorySample>({ cmd: 'memory' })
    const stats = await server.call({ cmd: 'stats' })
    const progress = await load.call<LoadProgress>({ cmd: 'progress' })
    return {
      scenario,
      contender,
      streams,
      baseline: baseline.rss,
      peak: peak.rss,
      peakSource: peak.source,
      settled: settled.rss,
      bound: baseline.rss + held + config.maxBufferBytes * streams + config.slackBytes,
      delivered,
      expected,
      closedByServer: progress.closed,
      stats,
      note: notes.join('; '),
    }
  } finally {
    await load.call({ cmd: 'close' }).catch(() => {})
    await Promise.all([load.stop(), server.stop()])
  }
}

// ---- report ----

const mib = (bytes: number) => (bytes / MiB).toFixed(1)

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

function describe(scenario: ScenarioName): string {
  const kib = (config.eventBytes / 1024).toFixed(0)
  const replayMiB = mib(config.historyEvents * config.eventBytes)
  const burstMiB = mib(config.burstEvents * config.eventBytes)
  switch (scenario) {
    case 'replay':
      return `replay pinning: a history of ${config.historyEvents} events of ${kib} KiB; ${config.replayStreams} streams that never read resume from the oldest id (~${replayMiB} MiB of replay each)`
    case 'burst':
      return `burst, never-reading streams: ${config.burstStreams} streams on team + user:<n>, then ${config.burstEvents} events of ${kib} KiB (${burstMiB} MiB) to team in one tick`
    case 'burst-read':
      return `burst, reading streams: the same ${config.burstStreams} streams reading as fast as they can`
  }
}

/** Tidings' counters that matter here; peers report their own. */
function statsCell(stats: unknown): string {
  const s = stats as { slowConsumers?: number; connections?: number; eventsDropped?: number }
  if (typeof s.slowConsumers === 'number') {
    return `slowConsumers ${s.slowConsumers}, open ${s.connections}, dropped ${s.eventsDropped}`
  }
  return JSON.stringify(stats)
}

function scenarioTable(scenario: ScenarioName, results: Result[]): string {
  const rows = results.filter((r) => r.scenario === scenario)
  const tidings = rows.find((r) => r.contender === 'tidings')
  const growth = (r: Result) => r.peak - r.baseline
  const body = rows.map((r) => [
    r.contender,
    mib(r.baseline),
    mib(r.peak),
    mib(r.settled),
    mib(growth(r)),
    tidings && r !== tidings ? `${(growth(r) / Math.max(1, growth(tidings))).toFixed(2)}x` : '-',
    mib(r.bound),
    r.peak <= r.bound ? 'yes' : 'NO',
    r.expected > 0 ? `${r.delivered}/${r.expected}` : '-',
    String(r.closedByServer),
    statsCell(r.stats),
  ])
  const lines = [
    describe(scenario),
    `bound = baseline + maxBufferBytes (${config.maxBufferBytes / 1024} KiB) x streams + what the history holds${scenario === 'replay' ? ' (in the baseline)' : ''} + ${mib(config.slackBytes)} MiB slack`,
    table(
      [
        'contender',
        'baseline MiB',
        'peak MiB',
        'settled MiB',
        'peak-base MiB',
        'vs tidings',
        'bound MiB',
        'peak <= bound',
        'delivered',
        'cut off',
        'server counters',
      ],
      body,
    ),
  ]
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.contender}: ${r.note}`)
  if (notes.length > 0) lines.push(...notes)
  return lines.join('\n')
}

async function main(): Promise<void> {
  const started = performance.now()
  console.log(
    [
      `memory bench: ${config.contenders.join(', ')}; scenarios ${config.scenarios.join(', ')}`,
      `node ${process.version}; ${cpus().length} CPUs; ${mib(totalmem())} MiB RAM; load avg ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
      'peak = the server process high-water RSS (VmHWM) over the window, reset after the baseline; settled = RSS after gc() x3 at the end',
    ].join('\n'),
  )
  const results: Result[] = []
  for (const scenario of config.scenarios) {
    // Peers have no history to resume from: the replay scenario is Tidings' alone.
    const contenders =
      scenario === 'replay' ? config.contenders.filter((c) => c === 'tidings') : config.contenders
    for (const contender of contenders) {
      const r = await run(scenario, contender)
      results.push(r)
      console.log(
        `  ${scenario} ${contender}: baseline ${mib(r.baseline)} MiB, peak ${mib(r.peak)} MiB (${r.peakSource}), settled ${mib(r.settled)} MiB, bound ${mib(r.bound)} MiB; ${statsCell(r.stats)}${r.note ? `; ${r.note}` : ''}`,
      )
    }
  }
  console.log('')
  for (const scenario of config.scenarios) console.log(`${scenarioTable(scenario, results)}\n`)
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`)
  const dir = join(root, 'test-results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'bench-memory.json'), `${JSON.stringify({ config, results }, null, 2)}\n`)
}

try {
  await main()
} catch (error) {
  console.error(error)
  process.exitCode = 1
}
