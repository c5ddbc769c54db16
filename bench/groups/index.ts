/**
 * `npm run bench:groups`: what a targeted emit costs the library itself as the
 * number of topic sets grows, with no sockets or kernel in the way. N streams
 * through the Fetch handler, read in this process; `groups` of them also on
 * their own `user:<k>` topic (one connection per user), the rest on `team` only.
 * Emits go to random users among the first `GROUPS_TARGETS` (each reaches one
 * stream), 10 per event-loop turn: the same streams receive in every run, so
 * only the number of groups present changes. Prints emits/s and CPU per emit
 * at each number of groups, and the ratio.
 *
 *   npm run bench:groups
 *   GROUPS_N=5000 GROUPS=5000,50,1 GROUPS_MS=3000 npm run bench:groups
 */
import { defineEvents } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import { z } from 'zod'
import { envInt, envList } from '../support/env.js'

const N = envInt('GROUPS_N', 5000)
const MS = envInt('GROUPS_MS', 3000)
const RUNS = Math.max(1, envInt('GROUPS_RUNS', 3))
const GROUPS = envList('GROUPS', ['5000', '50']).map(Number)
const TARGETS = Math.max(1, envInt('GROUPS_TARGETS', 50))
for (const g of GROUPS) {
  if (!(g >= TARGETS && g <= N)) throw new Error('GROUPS must be within GROUPS_TARGETS..GROUPS_N')
}

const events = defineEvents({ tick: z.object({ seq: z.number(), msg: z.string() }) })

async function run(groups: number): Promise<{ emitsPerSec: number; cpuUsPerEmit: number }> {
  const emitter = createEmitter(events, { history: { maxEvents: 1000 } })
  let received = 0
  const readers: ReadableStreamDefaultReader<Uint8Array>[] = []
  for (let i = 0; i < N; i++) {
    const query = i < groups ? `topic=team&topic=user:${i}` : 'topic=team'
    const response = await emitter.fetch(new Request(`http://bench.local/events?${query}`))
    const reader = response.body!.getReader()
    readers.push(reader)
    // Read as fast as it comes: each read counts one chunk (one flush's bytes).
    void (async () => {
      for (;;) {
        const { done } = await reader.read()
        if (done) return
        received++
      }
    })()
  }
  const users = Array.from({ length: TARGETS }, (_, k) => emitter.to(`user:${k}`))
  let state = 2463534242
  let seq = 0
  let running = true
  const turn = () => {
    if (!running) return
    for (let i = 0; i < 10; i++) {
      state ^= state << 13
      state ^= state >>> 17
      state ^= state << 5
      users[(state >>> 0) % TARGETS]!.emit('tick', { seq: ++seq, msg: 'the quick brown fox' })
    }
    setImmediate(turn)
  }
  await new Promise((resolve) => setTimeout(resolve, 200))
  setImmediate(turn)
  await new Promise((resolve) => setTimeout(resolve, 500))
  const seq0 = seq
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await new Promise((resolve) => setTimeout(resolve, MS))
  const cpu1 = process.cpuUsage(cpu0)
  const emitted = seq - seq0
  const seconds = (performance.now() - t0) / 1000
  running = false
  for (const reader of readers) await reader.cancel()
  await emitter.close()
  if (received === 0) throw new Error('nothing was received')
  return { emitsPerSec: emitted / seconds, cpuUsPerEmit: (cpu1.user + cpu1.system) / emitted }
}

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const results = new Map<number, { emitsPerSec: number; cpuUsPerEmit: number }[]>()
for (let r = 0; r < RUNS; r++) {
  for (const groups of GROUPS) {
    const result = await run(groups)
    results.set(groups, [...(results.get(groups) ?? []), result])
    console.log(
      `  run ${r + 1} groups=${groups}: ${Math.round(result.emitsPerSec).toLocaleString('en-US')} emits/s, ${result.cpuUsPerEmit.toFixed(2)} us CPU per emit`,
    )
  }
}
console.log(
  `\ntargeted emits to ${TARGETS} users, ${N} streams in process (Fetch handler), medians of ${RUNS}`,
)
console.log('groups  emits/s    CPU us/emit')
for (const groups of GROUPS) {
  const rows = results.get(groups)!
  console.log(
    `${String(groups).padEnd(6)}  ${Math.round(median(rows.map((x) => x.emitsPerSec)))
      .toLocaleString('en-US')
      .padStart(9)}  ${median(rows.map((x) => x.cpuUsPerEmit))
      .toFixed(2)
      .padStart(11)}`,
  )
}
const [many, few] = [Math.max(...GROUPS), Math.min(...GROUPS)]
const at = (g: number) => median(results.get(g)!.map((x) => x.emitsPerSec))
console.log(
  `\n${many} groups / ${few} groups: emits/s ${(at(many) / at(few)).toFixed(2)}x (target >= 0.8)`,
)
