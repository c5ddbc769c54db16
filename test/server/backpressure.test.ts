import net from 'node:net'
import { defineEvents } from '@tidings/schema'
import { createEmitter, type DisconnectInfo } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { HANDLERS, openStream, type Served, serveEmitter, until } from './support.js'

const events = defineEvents({ blob: z.object({ n: z.number(), pad: z.string() }) })
const PAD = 'x'.repeat(64 * 1024)
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A client that sends its request and then never reads a byte. */
function stalledClient(port: number, path = '/'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`)
      socket.pause()
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

describe.each(HANDLERS)('%s handler under backpressure', (kind) => {
  let served: Served | undefined
  afterEach(async () => {
    await served?.close()
    served = undefined
  })

  it('cuts off a client that never reads, counts it, and keeps serving the others in full', async () => {
    const gone: DisconnectInfo<undefined>[] = []
    const emitter = createEmitter(events, {
      maxBufferBytes: 256 * 1024,
      history: { maxEvents: 10 },
      onDisconnect: (info) => gone.push(info),
    })
    served = await serveEmitter(kind, emitter)
    const stalled = await stalledClient(served.port)
    const stalledClosed = new Promise<void>((resolve) => stalled.on('close', () => resolve()))
    stalled.on('error', () => {})
    const fast = await openStream(`${served.url}/`)
    await until(() => emitter.stats().connections === 2, 'two connections')

    // Loopback socket buffers absorb a few MiB before the server sees
    // backpressure; bound the loop at 2000 events of 64 KiB (128 MiB).
    let sent = 0
    while (emitter.stats().slowConsumers === 0 && sent < 2000) {
      emitter.emit('blob', { n: sent++, pad: PAD })
      await tick()
    }
    expect(emitter.stats().slowConsumers).toBe(1)
    expect(emitter.stats().eventsDropped).toBeGreaterThan(0)
    // A paused socket only notices the reset once it reads again.
    stalled.resume()
    await stalledClosed
    expect(gone.map((info) => info.reason)).toEqual(['slow'])
    expect(emitter.stats().connections).toBe(1)

    // The fast consumer got every event, in order, and keeps getting them.
    emitter.emit('blob', { n: sent++, pad: '' })
    const received = await fast.take(sent)
    expect(received.map((e) => JSON.parse(e.data).n)).toEqual(
      Array.from({ length: sent }, (_, i) => i),
    )
    fast.close()
    stalled.destroy()
    await emitter.close()
  })

  it('survives a client that disconnects mid-write', async () => {
    const gone: string[] = []
    const emitter = createEmitter(events, {
      history: { maxEvents: 10 },
      onDisconnect: (info) => gone.push(info.reason),
    })
    served = await serveEmitter(kind, emitter)
    const quitter = await openStream(`${served.url}/`)
    const other = await openStream(`${served.url}/`)
    await until(() => emitter.stats().connections === 2, 'two connections')
    for (let n = 0; n < 20; n++) emitter.emit('blob', { n, pad: PAD })
    // Leave in the middle of a 1.3 MiB burst, while the server is still writing it.
    quitter.response.once('data', () => quitter.close())
    await tick()
    for (let n = 20; n < 40; n++) {
      emitter.emit('blob', { n, pad: PAD })
      await tick()
    }
    await until(() => gone.length === 1, 'disconnect')
    expect(gone).toEqual(['client'])
    const received = await other.take(40)
    expect(received.map((e) => JSON.parse(e.data).n)).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    )
    other.close()
    await emitter.close()
  })
})
