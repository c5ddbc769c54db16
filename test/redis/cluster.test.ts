import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createClient, type GapInfo } from '@tidings/client'
import { defineEvents, parseEventId } from '@tidings/schema'
import { afterEach, expect, it } from 'vitest'
import { z } from 'zod'
import { startRoundRobinProxy } from '../../examples/cluster/round-robin-proxy.js'
import { seededRandom } from '../support/random.js'
import { startRedis } from '../support/redis.js'

const events = defineEvents({ tick: z.object({ n: z.number(), topic: z.string() }) })
const TOPICS = ['a', 'b', 'c'] as const
const ROOT = join(import.meta.dirname, '..', '..')

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Starts one server process (test/redis/fixtures/node.ts) and resolves with its port. */
async function startNode(
  redisPort: number,
  prefix: string,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@tidings/source',
      join(import.meta.dirname, 'fixtures', 'node.ts'),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, REDIS_PORT: String(redisPort), PREFIX: prefix, WINDOW: '200' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  cleanups.push(() => child.kill('SIGKILL'))
  const lines = createInterface({ input: child.stdout! })
  const [line] = (await once(lines, 'line')) as [string]
  return { child, port: (JSON.parse(line) as { port: number }).port }
}

async function emitOn(port: number, n: number, topic: string | undefined): Promise<string> {
  const query = topic ? `?topic=${topic}&n=${n}` : `?n=${n}`
  const response = await fetch(`http://127.0.0.1:${port}/emit${query}`, { method: 'POST' })
  const text = await response.text()
  if (response.status !== 200) throw new Error(`emit failed: ${response.status} ${text}`)
  return text
}

it('three processes, one SIGKILLed mid-stream: every client gets every event of its topics once, in order', async () => {
  const seed = Number(process.env.TIDINGS_SEED ?? Math.floor(Math.random() * 2 ** 31))
  const rand = seededRandom(seed)
  const TOTAL = 2000
  const CLIENTS = 24
  const redis = await startRedis()
  cleanups.push(() => redis.stop())
  const prefix = `cluster${seed}`
  const nodes = await Promise.all([0, 1, 2].map(() => startNode(redis.port, prefix)))
  const proxy = await startRoundRobinProxy(nodes.map((node) => node.port))
  cleanups.push(() => proxy.close())

  const clients = Array.from({ length: CLIENTS }, (_, index) => {
    const topics = TOPICS.filter(() => rand() < 0.5)
    const client = createClient(events, `http://127.0.0.1:${proxy.port}/events`, {
      topics,
      reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
    })
    cleanups.push(() => client.close())
    const state = {
      index,
      topics,
      client,
      received: [] as number[],
      gaps: [] as GapInfo[],
      reconnects: 0,
    }
    client.on('tick', ({ n }) => state.received.push(n))
    client.on('tidings:gap', (gap) => state.gaps.push(gap))
    client.on('tidings:status', (status) => {
      if (status.state === 'reconnecting') state.reconnects++
    })
    return state
  })
  const deadline = (ms: number) => Date.now() + ms
  const until = async (check: () => boolean, what: string, ms = 30_000) => {
    const end = deadline(ms)
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} (seed ${seed})`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  await until(() => clients.every((c) => c.client.status.state === 'open'), 'every client to open')

  // Emit from all three processes; kill one (SIGKILL) once 40% are out.
  const emitted: { n: number; topic: string | undefined; seq: number }[] = []
  const alive = new Set([0, 1, 2])
  const victim = Math.floor(rand() * 3)
  let n = 0
  while (n < TOTAL) {
    if (alive.size === 3 && n >= TOTAL * 0.4) {
      nodes[victim]!.child.kill('SIGKILL')
      alive.delete(victim)
    }
    const batch = []
    for (let i = 0; i < 50 && n < TOTAL; i++) {
      const topicIndex = Math.floor(rand() * 4)
      const topic = topicIndex < 3 ? TOPICS[topicIndex] : undefined
      const targets = [...alive]
      const node = nodes[targets[Math.floor(rand() * targets.length)]!]!
      const value = ++n
      batch.push(
        emitOn(node.port, value, topic).then((id) => {
          emitted.push({ n: value, topic, seq: parseEventId(id)!.seq })
        }),
      )
    }
    await Promise.all(batch)
  }

  // What each client must see: the events of its topics (and broadcasts), in the store's order.
  emitted.sort((x, y) => x.seq - y.seq)
  const expected = (topics: readonly string[]) =>
    emitted.filter((e) => e.topic === undefined || topics.includes(e.topic)).map((e) => e.n)
  await until(
    () => clients.every((c) => c.received.length >= expected(c.topics).length),
    'every client to receive its events',
  )
  await new Promise((resolve) => setTimeout(resolve, 200))
  const report = clients.map((c) => ({
    client: c.index,
    topics: c.topics.join('+') || '(broadcasts)',
    expected: expected(c.topics).length,
    received: c.received.length,
    duplicates: c.received.length - new Set(c.received).size,
    gaps: c.gaps.length,
    reconnects: c.reconnects,
  }))
  console.log(`seed ${seed}, killed process ${victim}, ${emitted.length} events`)
  console.table(report)
  for (const c of clients)
    expect(c.received, `client ${c.index} (seed ${seed})`).toEqual(expected(c.topics))
  expect(clients.every((c) => c.gaps.length === 0)).toBe(true)
  // The victim's clients really moved to the other processes.
  expect(clients.some((c) => c.reconnects > 0)).toBe(true)
})
