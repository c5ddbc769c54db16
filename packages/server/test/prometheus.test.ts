import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { defineEvents } from '@tidings/schema'
import { createEmitter, type EmitterStats } from '@tidings/server'
import { registerEmitterMetrics } from '@tidings/server/prometheus'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import * as entry from '../src/prometheus.js'

const events = defineEvents({ tick: z.object({ n: z.number() }) })

/** The sample lines of an exposition (no HELP/TYPE comments). */
const samples = (text: string) => text.split('\n').filter((line) => line && !line.startsWith('#'))

const base: EmitterStats = {
  connections: 3,
  connectionsOpened: 10,
  eventsEmitted: 7,
  bytesWritten: 4096,
  eventsDropped: 1,
  slowConsumers: 1,
  requestsRejected: 2,
  connectionsByTransport: { sse: 3, websocket: 0 },
  rejections: {},
  replays: 0,
  endedReplies: 0,
  endedTopics: 0,
  historyReads: 0,
  gaps: { malformed: 0, 'other-epoch': 0, expired: 0, unknown: 0, reset: 0 },
  emitToWrite: { bucketsMs: [1], counts: [0, 0], sumMs: 0, count: 0 },
  headId: 'k2-7',
}

it('exports exactly the public surface of @tidings/server/prometheus', () => {
  expect(Object.keys(entry).sort()).toMatchInlineSnapshot(`
    [
      "registerEmitterMetrics",
    ]
  `)
})

describe('registerEmitterMetrics', () => {
  const cleanup: Array<() => unknown> = []
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step()
  })

  it('reads a live emitter on scrape, once per scrape, with no timer of its own', async () => {
    const emitter = createEmitter(events)
    cleanup.push(() => emitter.close())
    const registry = new Registry()
    const stats = vi.spyOn(emitter, 'stats')
    registerEmitterMetrics(emitter, { registry })
    const afterRegistration = stats.mock.calls.length

    const server = http.createServer((req, res) => void emitter.handle(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanup.push(() => new Promise((resolve) => server.close(resolve)))
    const { port } = server.address() as AddressInfo
    const controller = new AbortController()
    cleanup.push(() => controller.abort())
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: controller.signal })
    const reader = response.body!.getReader()
    await reader.read()
    emitter.emit('tick', { n: 1 })
    emitter.emit('tick', { n: 2 })

    // Connecting and emitting took real time: a polling timer would have read meanwhile.
    expect(stats.mock.calls.length).toBe(afterRegistration)
    const text = await registry.metrics()
    expect(stats.mock.calls.length).toBe(afterRegistration + 1)
    expect(samples(text)).toEqual(
      expect.arrayContaining([
        'tidings_connections{transport="sse"} 1',
        'tidings_connections_opened_total 1',
        'tidings_events_emitted_total 2',
        'tidings_requests_rejected_total 0',
      ]),
    )
    expect(text).toContain('# TYPE tidings_events_emitted_total counter')
    expect(text).toContain('# TYPE tidings_connections gauge')
    // headId is not a number: never exported.
    expect(text).not.toContain('head')

    await registry.metrics()
    expect(stats.mock.calls.length).toBe(afterRegistration + 2)
  })

  it('maps every field: transports, replays, ends, history reads, gaps, rejections and the latency histogram', async () => {
    const registry = new Registry()
    const extended = {
      ...base,
      connectionsByTransport: { sse: 2, websocket: 1 },
      replays: 4,
      endedReplies: 3,
      endedTopics: 5,
      historyReads: 6,
      gaps: { malformed: 0, 'other-epoch': 1, expired: 2, unknown: 0, reset: 0 },
      rejections: { unauthorized: 1, invalid_topic: 1 },
      emitToWrite: { bucketsMs: [1, 5, 25], counts: [10, 5, 1, 2], sumMs: 52.5, count: 18 },
    }
    registerEmitterMetrics({ stats: () => extended }, { registry, labels: { app: 'shop' } })
    const lines = samples(await registry.metrics())
    expect(lines).toEqual([
      'tidings_connections{transport="sse",app="shop"} 2',
      'tidings_connections{transport="websocket",app="shop"} 1',
      'tidings_connections_opened_total{app="shop"} 10',
      'tidings_events_emitted_total{app="shop"} 7',
      'tidings_bytes_written_total{app="shop"} 4096',
      'tidings_events_dropped_total{app="shop"} 1',
      'tidings_slow_consumers_total{app="shop"} 1',
      'tidings_requests_rejected_total{app="shop"} 2',
      'tidings_replays_total{app="shop"} 4',
      'tidings_ended_replies_total{app="shop"} 3',
      'tidings_ended_topics{app="shop"} 5',
      'tidings_history_reads_total{app="shop"} 6',
      'tidings_gaps_total{reason="malformed",app="shop"} 0',
      'tidings_gaps_total{reason="other-epoch",app="shop"} 1',
      'tidings_gaps_total{reason="expired",app="shop"} 2',
      'tidings_gaps_total{reason="unknown",app="shop"} 0',
      'tidings_gaps_total{reason="reset",app="shop"} 0',
      'tidings_rejections_total{code="unauthorized",app="shop"} 1',
      'tidings_rejections_total{code="invalid_topic",app="shop"} 1',
      // Cumulative, in seconds, +Inf equal to the count.
      'tidings_emit_to_write_seconds_bucket{le="0.001",app="shop"} 10',
      'tidings_emit_to_write_seconds_bucket{le="0.005",app="shop"} 15',
      'tidings_emit_to_write_seconds_bucket{le="0.025",app="shop"} 16',
      'tidings_emit_to_write_seconds_bucket{le="+Inf",app="shop"} 18',
      'tidings_emit_to_write_seconds_sum{app="shop"} 0.0525',
      'tidings_emit_to_write_seconds_count{app="shop"} 18',
    ])
    const json = await registry.getMetricsAsJSON()
    expect(json.find((metric) => metric.name === 'tidings_emit_to_write_seconds')?.type).toBe(
      'histogram',
    )
  })

  it('follows values from scrape to scrape', async () => {
    const registry = new Registry()
    let sse = 1
    registerEmitterMetrics(
      { stats: () => ({ ...base, connectionsByTransport: { sse, websocket: 2 } }) },
      { registry },
    )
    expect(samples(await registry.metrics())).toContain('tidings_connections{transport="sse"} 1')
    sse = 5
    expect(samples(await registry.metrics())).toContain('tidings_connections{transport="sse"} 5')
  })

  it('takes a prefix for a second emitter, refuses a clash, and unregisters', async () => {
    const registry = new Registry()
    const unregister = registerEmitterMetrics({ stats: () => base }, { registry })
    expect(() => registerEmitterMetrics({ stats: () => base }, { registry })).toThrow(
      /already been registered/,
    )
    registerEmitterMetrics({ stats: () => base }, { registry, prefix: 'chat_' })
    expect(samples(await registry.metrics())).toEqual(
      expect.arrayContaining([
        'tidings_connections{transport="sse"} 3',
        'chat_connections{transport="sse"} 3',
      ]),
    )
    unregister()
    const text = await registry.metrics()
    expect(text).not.toContain('tidings_')
    expect(text).toContain('chat_events_emitted_total 7')
  })
})
