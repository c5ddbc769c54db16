import { setTimeout as sleep } from 'node:timers/promises'
import { type ClientStatus, createClient, type EndInfo } from '@tidings/client'
import { defineEvents } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod'
import { HANDLERS, type SeenRequest, serveEmitter, TRANSPORTS, until } from './support.js'

// The Tidings client against a real server whose topics end: over both handlers
// and both transports, the end arrives once, the client drops the ended topic
// from its next request, closes with reason `ended` once all ended, and the
// server sees no reconnect after that.

const events = defineEvents({ token: z.object({ n: z.number().int() }) })

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const MATRIX = HANDLERS.flatMap((kind) => TRANSPORTS.map((transport) => [kind, transport] as const))

describe.each(MATRIX)('topics that end (%s handler, %s)', (kind, transport) => {
  async function setup() {
    const emitter = createEmitter(events, { retryMs: 10 })
    const seen: SeenRequest[] = []
    const served = await serveEmitter(kind, emitter, 0, seen)
    cleanups.push(
      () => served.close(),
      () => emitter.close(),
    )
    const open = (topics: string[], lastEventId?: string) => {
      const client = createClient(events, `${served.url}/events`, {
        topics,
        transport,
        WebSocket,
        reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
        ...(lastEventId === undefined ? {} : { lastEventId }),
      })
      cleanups.push(() => client.close())
      const ends: EndInfo[] = []
      const statuses: ClientStatus[] = []
      const tokens: number[] = []
      client.on('tidings:end', (info) => ends.push(info))
      client.on('tidings:status', (status) => statuses.push(status))
      client.on('token', ({ n }) => tokens.push(n))
      return { client, ends, statuses, tokens }
    }
    return { emitter, served, seen, open }
  }

  it('closes with reason ended once every topic ended, and never comes back', async () => {
    const { emitter, served, seen, open } = await setup()
    const { client, ends, statuses, tokens } = open(['run:a', 'run:b'])
    await until(() => client.status.state === 'open', 'open')
    emitter.to('run:a').emit('token', { n: 1 })
    emitter.to('run:a').end('complete')
    await until(() => ends.length === 1, 'the first end')
    expect(client.status.state).toBe('open')

    // A cut: the client comes back for run:b only, from the end's id.
    served.dropAll()
    await until(() => seen.length === 2 && client.status.state === 'open', 'the reconnect')
    expect(seen[1]?.url.searchParams.getAll('topic')).toEqual(['run:b'])
    emitter.to('run:b').emit('token', { n: 2 })
    emitter.to('run:b').end('cancelled')
    const ended = await client.ended('run:b')
    expect(ended).toEqual({ topic: 'run:b', reason: 'cancelled' })
    await until(() => client.status.state === 'closed', 'closed')
    expect(statuses.at(-1)).toEqual({ state: 'closed', reason: 'ended' })
    expect(ends).toEqual([
      { topic: 'run:a', reason: 'complete' },
      { topic: 'run:b', reason: 'cancelled' },
    ])
    expect(tokens).toEqual([1, 2])
    // Well past the server's retry (10 ms) and the client's backoff (<= 20 ms).
    await sleep(200)
    expect(seen).toHaveLength(2)
  })

  it('gets a late client the end at once, and a resume after the end a 204 (no-content)', async () => {
    const { emitter, seen, open } = await setup()
    emitter.to('run:a').emit('token', { n: 1 })
    emitter.to('run:a').end('failed')
    const late = open(['run:a'])
    expect(await late.client.ended('run:a')).toEqual({ topic: 'run:a', reason: 'failed' })
    await until(() => late.client.status.state === 'closed', 'the late client closed')
    expect(late.statuses.at(-1)).toEqual({ state: 'closed', reason: 'ended' })
    const endId = late.client.lastEventId as string
    expect(endId).toMatch(/^[0-9a-z]+-\d+$/)

    // A page reloaded with the end's id: nothing is left to send.
    const reloaded = open(['run:a'], endId)
    await until(() => reloaded.client.status.state === 'closed', 'the reloaded client closed')
    expect(reloaded.statuses.at(-1)).toEqual({ state: 'closed', reason: 'no-content' })
    expect(await reloaded.client.ended('run:a')).toBeUndefined()
    expect(reloaded.ends).toEqual([])
    await sleep(100)
    expect(seen).toHaveLength(2)
  })
})
