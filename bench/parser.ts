/**
 * Parser benchmark: `npm run bench:parser`.
 *
 * Feeds each workload as 16 KiB `Uint8Array` chunks (UTF-8 decoding included)
 * to the Tidings parser, eventsource-parser, @microsoft/fetch-event-source's
 * parser and a bare blank-line scan (the practical ceiling), interleaved round
 * by round after a warm-up, checks that every parser found every event, and
 * prints the throughput of each (best round: interference from other processes
 * only ever adds time) with its ratios to eventsource-parser and to the bare
 * scan. Bounded to well under a minute.
 */
import { type Contender, contenders, type RunResult } from './parser-contenders.js'
import {
  CHUNK_SIZE,
  largeEvents,
  multiLineEvents,
  smallEvents,
  smallNonAsciiEvents,
  type Workload,
} from './parser-workloads.js'

const TARGET_BYTES = 8 * 1024 * 1024
const WARMUP_PASSES = 3
const ROUNDS = 15
const MIN_ROUNDS = 5
// Per workload: past this, stop adding rounds (after MIN_ROUNDS) to keep the run bounded.
const BUDGET_MS = 8_000

const workloads: Workload[] = [
  smallEvents(TARGET_BYTES),
  largeEvents(TARGET_BYTES),
  multiLineEvents(TARGET_BYTES),
  smallNonAsciiEvents(TARGET_BYTES),
]

// CPU time of this process rather than wall time: the machines running this
// are shared, and another process taking the core should not count as parsing.
function timed(contender: Contender, workload: Workload): { ms: number; result: RunResult } {
  const start = process.cpuUsage()
  const result = contender.run(workload.chunks)
  const used = process.cpuUsage(start)
  return { ms: (used.user + used.system) / 1000, result }
}

function measure(workload: Workload): { mbps: Map<Contender, number>; rounds: number } {
  for (const contender of contenders) {
    for (let i = 0; i < WARMUP_PASSES; i++) {
      const { result } = timed(contender, workload)
      if (result.events !== workload.events) {
        throw new Error(
          `${contender.name} found ${result.events} events in ${workload.name}, expected ${workload.events}`,
        )
      }
    }
  }
  const samples = new Map<Contender, number[]>(contenders.map((c) => [c, []]))
  const deadline = Date.now() + BUDGET_MS
  let rounds = 0
  while (rounds < ROUNDS && (rounds < MIN_ROUNDS || Date.now() < deadline)) {
    // Rotate the order every round, so that no parser always runs right after another.
    for (let k = 0; k < contenders.length; k++) {
      const contender = contenders[(k + rounds) % contenders.length]!
      samples.get(contender)!.push(timed(contender, workload).ms)
    }
    rounds++
  }
  const mbps = new Map<Contender, number>()
  for (const [contender, times] of samples) {
    mbps.set(contender, workload.bytes / 1e6 / (Math.min(...times) / 1000))
  }
  return { mbps, rounds }
}

const started = Date.now()
const header = ['workload', 'parser', 'MB/s', 'vs eventsource-parser', 'vs bare scan']
const rows: string[][] = []
const roundCounts: number[] = []
const [tidings, eventsourceParser, , bareScan] = contenders
for (const workload of workloads) {
  const { mbps, rounds } = measure(workload)
  roundCounts.push(rounds)
  const esp = mbps.get(eventsourceParser!)!
  const bare = mbps.get(bareScan!)!
  for (const contender of contenders) {
    const value = mbps.get(contender)!
    const name = contender === tidings ? `**${contender.name}**` : contender.name
    rows.push([
      workload.description,
      name,
      value.toFixed(0),
      `${(value / esp).toFixed(2)}x`,
      `${(value / bare).toFixed(2)}x`,
    ])
  }
}

const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
const line = (cells: string[]) =>
  `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`
console.log(
  `Node ${process.version} (${process.arch}), ${TARGET_BYTES / 1024 / 1024} MiB per workload ` +
    `in ${CHUNK_SIZE / 1024} KiB Uint8Array chunks, UTF-8 decoding included; best CPU time ` +
    `of ${Math.min(...roundCounts)}-${Math.max(...roundCounts)} interleaved rounds after ` +
    `${WARMUP_PASSES} warm-up passes each.`,
)
for (const workload of workloads) {
  console.log(`  ${workload.description}: ${workload.events} events, ${workload.bytes} bytes`)
}
console.log()
console.log(line(header))
console.log(
  `| ${widths.map((w, i) => (i >= 2 ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`,
)
for (const row of rows) console.log(line(row))
console.log(`\nTotal ${((Date.now() - started) / 1000).toFixed(1)} s.`)
