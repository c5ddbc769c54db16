import net, { type AddressInfo, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { type ChaosProxy, startChaosProxy } from './chaos-proxy.js'
import { seededRandom } from './random.js'

/** SSE-like bytes with every awkward spot the proxy looks for: multi-byte UTF-8, CRLF, field names. */
function streamBytes(rand: () => number, size: number): Buffer {
  const parts: string[] = []
  let length = 0
  for (let n = 0; length < size; n++) {
    const text = `id:ep-${n}\nevent:tick\ndata:{"n":${n},"t":"é€𝄞${'x'.repeat(Math.floor(rand() * 300))}"}\r\n\n`
    parts.push(text)
    length += Buffer.byteLength(text)
  }
  return Buffer.from(parts.join('')).subarray(0, size)
}

interface Transfer {
  readonly sentDown: Buffer
  readonly sentUp: Buffer
  receivedDown: Buffer
  receivedUp: Buffer
}

/** A server that writes `down` in random pieces and records what it gets. */
async function startServer(
  transfers: Map<number, Transfer>,
  seed: number,
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let header = Buffer.alloc(0)
    let transfer: Transfer | undefined
    socket.on('data', (chunk: Buffer) => {
      if (transfer) {
        transfer.receivedUp = Buffer.concat([transfer.receivedUp, chunk])
        return
      }
      // The first 4 bytes name the transfer (the proxy may split them too).
      header = Buffer.concat([header, chunk])
      if (header.length < 4) return
      const index = header.readUInt32BE(0)
      transfer = transfers.get(index)
      if (!transfer) {
        // Mangled bytes: end here, the client's prefix check reports it.
        socket.destroy()
        return
      }
      transfer.receivedUp = header.subarray(4)
      const rand = seededRandom(seed + index)
      const { sentDown } = transfer
      let at = 0
      const pump = (): void => {
        while (at < sentDown.length) {
          const size = 1 + Math.floor(rand() * 4000)
          const piece = sentDown.subarray(at, at + size)
          at += piece.length
          if (!socket.write(piece)) {
            socket.once('drain', pump)
            return
          }
        }
        socket.end()
      }
      pump()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Opens one connection through the proxy, sends `up`, reads until the connection ends. */
function runClient(port: number, index: number, transfer: Transfer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    // Bounded: a connection the proxy wedged fails the prefix checks instead of hanging.
    const timer = setTimeout(() => socket.destroy(), 20_000)
    const head = Buffer.alloc(4)
    head.writeUInt32BE(index)
    socket.on('connect', () => {
      socket.write(Buffer.concat([head, transfer.sentUp]))
    })
    socket.on('data', (chunk: Buffer) => {
      transfer.receivedDown = Buffer.concat([transfer.receivedDown, chunk])
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve()
    })
    socket.on('end', () => socket.end())
  })
}

const isPrefix = (received: Buffer, sent: Buffer): boolean =>
  received.length <= sent.length && sent.subarray(0, received.length).equals(received)

describe('chaos proxy', () => {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close()
  })

  async function scenario(seed: number, connections: number, calm: boolean) {
    const rand = seededRandom(seed)
    const transfers = new Map<number, Transfer>()
    for (let i = 0; i < connections; i++) {
      transfers.set(i, {
        sentDown: streamBytes(rand, 20_000 + Math.floor(rand() * 60_000)),
        sentUp: streamBytes(rand, 100 + Math.floor(rand() * 3000)),
        receivedDown: Buffer.alloc(0),
        receivedUp: Buffer.alloc(0),
      })
    }
    const server = await startServer(transfers, seed)
    closers.push(server.close)
    const proxy: ChaosProxy = await startChaosProxy({
      targetPort: server.port,
      seed,
      // Every fault on every connection; time cuts late enough that byte cuts show too.
      faults: {
        cutByBytes: 0.5,
        cutBytes: [0, 60_000],
        cutByTime: 0.5,
        cutMs: [50, 1500],
        stall: 0.5,
        stallMs: [10, 200],
        delay: 0.5,
        delayMs: 5,
        split: 1,
      },
    })
    closers.push(proxy.close)
    if (calm) proxy.calm()
    await Promise.all(
      [...transfers].map(([index, transfer]) => runClient(proxy.port, index, transfer)),
    )
    return { transfers, stats: proxy.stats() }
  }

  it('never invents or reorders bytes: each side receives a prefix of what the other sent', async () => {
    const { transfers, stats } = await scenario(11, 60, false)
    for (const [index, t] of transfers) {
      expect({ index, down: isPrefix(t.receivedDown, t.sentDown) }).toEqual({ index, down: true })
      // Upstream bytes also carry the 4-byte index the server strips.
      expect({ index, up: isPrefix(t.receivedUp, t.sentUp) }).toEqual({ index, up: true })
    }
    const truncated = [...transfers.values()].filter(
      (t) => t.receivedDown.length < t.sentDown.length,
    )
    expect(truncated.length).toBeGreaterThan(0)
    expect(stats.connections).toBe(60)
    // A cut can land after the last byte was forwarded, so it need not truncate.
    expect(stats.cutsByBytes + stats.cutsByTime).toBeGreaterThanOrEqual(truncated.length)
    expect(stats.stalls).toBeGreaterThan(0)
    expect(stats.delayedChunks).toBeGreaterThan(0)
    // Each awkward kind of split was made somewhere.
    expect(stats.splits.utf8).toBeGreaterThan(0)
    expect(stats.splits.crlf).toBeGreaterThan(0)
    expect(stats.splits.fieldName).toBeGreaterThan(0)
    expect(stats.splits.blankLine).toBeGreaterThan(0)
    expect(stats.open).toBe(0)
  })

  it('passes every byte through once calm', async () => {
    const { transfers, stats } = await scenario(12, 20, true)
    for (const [index, t] of transfers) {
      expect({ index, down: t.receivedDown.equals(t.sentDown) }).toEqual({ index, down: true })
      expect({ index, up: t.receivedUp.equals(t.sentUp) }).toEqual({ index, up: true })
    }
    expect(stats.cutsByBytes + stats.cutsByTime + stats.stalls).toBe(0)
  })
})
