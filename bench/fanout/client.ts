/**
 * The load-client process: N raw `net` sockets to 127.0.0.1, each writing one GET (or a WebSocket
 * upgrade plus the engine.io/socket.io handshake) and then only counting events in the raw bytes.
 * No HTTP parser, no SSE parser, no WebSocket frame parser, no strings: one `Buffer.indexOf` per
 * event for the payload's `"t":` marker, and, while measuring latency, the digits after it. This
 * keeps the client cheap enough that the server is the bottleneck (its CPU is reported to check).
 */
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { serveParent } from '../../test/support/child-rpc.js'
import {
  type ClientMark,
  type ClientRequest,
  type LatencyReport,
  nowMicros,
  TIME_MARKER,
  type Wire,
} from './protocol.js'

const MARK = Buffer.from(TIME_MARKER)
const HEAD_END = Buffer.from('\r\n\r\n')
// engine.io v4 over WebSocket: server ping is the text frame "2", the client answers "3".
const PING_FRAME = Buffer.from([0x81, 0x01, 0x32])
const SIO_OPEN = Buffer.from('0{"sid"')
const SIO_CONNECTED = Buffer.from('40{')
const MAX_HEAD_BYTES = 16 * 1024

/** A masked client-to-server text frame (zero mask: the server only requires the mask bit). */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text)
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload])
}
const PONG = clientFrame('3')
const SIO_CONNECT = clientFrame('40')

enum State {
  Head = 0,
  SioOpen = 1,
  SioConnect = 2,
  Live = 3,
}

interface Conn {
  socket: Socket
  state: State
  head: Buffer | null
  carry: Buffer | null
}

const conns: Conn[] = []
let wire: Wire = 'sse'
let received = 0
let bytes = 0
let open = 0
let closed = 0
let collectLatency = false
let samples: number[] = []

function scan(conn: Conn, chunk: Buffer): void {
  let buf = chunk
  if (conn.carry !== null) {
    buf = Buffer.concat([conn.carry, chunk])
    conn.carry = null
  }
  if (wire === 'socket.io' && buf.indexOf(PING_FRAME) !== -1) conn.socket.write(PONG)
  const latency = collectLatency
  const receivedAt = latency ? nowMicros() : 0
  const length = buf.length
  let pos = 0
  for (;;) {
    const at = buf.indexOf(MARK, pos)
    if (at === -1) break
    if (latency) {
      let end = at + MARK.length
      let sentAt = 0
      while (end < length) {
        const c = buf[end]!
        if (c < 48 || c > 57) break
        sentAt = sentAt * 10 + (c - 48)
        end++
      }
      // The number may continue in the next read: keep it for then.
      if (end === length) {
        conn.carry = buf.subarray(at)
        return
      }
      samples.push(receivedAt - sentAt)
      pos = end
    } else {
      pos = at + MARK.length
    }
    received++
  }
  // A marker split across two reads.
  for (let k = MARK.length - 1; k >= 1; k--) {
    if (length >= k && MARK.compare(buf, length - k, length, 0, k) === 0) {
      conn.carry = buf.subarray(length - k)
      break
    }
  }
}

/** Everything before the stream proper: HTTP head, then for socket.io the two handshake packets. */
function handshake(
  conn: Conn,
  chunk: Buffer,
  onLive: () => void,
  onFail: (why: string) => void,
): void {
  const head = conn.head === null ? chunk : Buffer.concat([conn.head, chunk])
  conn.head = head
  if (head.length > MAX_HEAD_BYTES) {
    onFail('handshake too long')
    return
  }
  if (conn.state === State.Head) {
    const end = head.indexOf(HEAD_END)
    if (end === -1) return
    const status = head.toString('latin1', 0, head.indexOf('\r\n'))
    const expected = wire === 'sse' ? ' 200 ' : ' 101 '
    if (!status.includes(expected)) {
      onFail(`unexpected status line: ${status}`)
      return
    }
    conn.head = head.subarray(end + HEAD_END.length)
    // A plain WebSocket (`ws`) is live at its 101: the server speaks first and only.
    conn.state = wire === 'socket.io' ? State.SioOpen : State.Live
  }
  if (conn.state === State.SioOpen) {
    if (conn.head.indexOf(SIO_OPEN) === -1) return
    conn.socket.write(SIO_CONNECT)
    conn.head = conn.head.subarray(conn.head.indexOf(SIO_OPEN) + SIO_OPEN.length)
    conn.state = State.SioConnect
  }
  if (conn.state === State.SioConnect) {
    const at = conn.head.indexOf(SIO_CONNECTED)
    if (at === -1) return
    conn.head = conn.head.subarray(at + SIO_CONNECTED.length)
    conn.state = State.Live
  }
  const rest = conn.head
  conn.head = null
  onLive()
  if (rest.length > 0) scan(conn, rest)
}

function request(port: number, path: string): string {
  const host = `Host: 127.0.0.1:${port}\r\n`
  if (wire === 'sse') {
    return `GET ${path} HTTP/1.1\r\n${host}Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`
  }
  const key = randomBytes(16).toString('base64')
  return `GET ${path} HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`
}

/** Opens connections until `total` are live, at most `concurrency` handshakes in flight. */
/** The path of connection `index`: in the per-user scenario, its topics or rooms appended. */
function pathFor(path: string, index: number, users: number | undefined): string {
  if (users === undefined) return path
  // The first `users` connections are one user each; the others are on `team` only.
  const topics = index < users ? ['team', `user:${index}`] : ['team']
  if (wire === 'sse') {
    return `${path}${path.includes('?') ? '&' : '?'}${topics.map((t) => `topic=${t}`).join('&')}`
  }
  return `${path}&rooms=${topics.join(',')}`
}

function connectAll(
  port: number,
  path: string,
  total: number,
  concurrency: number,
  users: number | undefined,
): Promise<number> {
  const startedAt = performance.now()
  return new Promise((resolve, reject) => {
    let inFlight = 0
    let failed = false
    const fail = (why: string): void => {
      if (failed) return
      failed = true
      reject(new Error(`connection ${conns.length} of ${total}: ${why} (${open} live)`))
    }
    const next = (): void => {
      if (failed) return
      if (open === total) {
        resolve(performance.now() - startedAt)
        return
      }
      while (inFlight < concurrency && conns.length < total) {
        inFlight++
        const socket = connect({ host: '127.0.0.1', port })
        const conn: Conn = { socket, state: State.Head, head: null, carry: null }
        conns.push(conn)
        socket.setNoDelay(true)
        const live = (): void => {
          open++
          inFlight--
          next()
        }
        const broken = (why: string): void => {
          socket.destroy()
          fail(why)
        }
        socket.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          if (conn.state === State.Live) scan(conn, chunk)
          else handshake(conn, chunk, live, broken)
        })
        socket.on('error', (error) => {
          if (conn.state !== State.Live) fail(error.message)
        })
        socket.on('close', () => {
          if (conn.state === State.Live) {
            open--
            closed++
          } else fail('closed during handshake')
        })
        socket.write(request(port, pathFor(path, conns.length - 1, users)))
      }
    }
    next()
  })
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

serveParent<ClientRequest>(async (request) => {
  switch (request.cmd) {
    case 'connect':
      wire = request.wire
      return connectAll(
        request.port,
        request.path,
        request.total,
        request.concurrency,
        request.users,
      )
    case 'latency-reset':
      samples = []
      collectLatency = true
      return null
    case 'latency-report': {
      collectLatency = false
      const sorted = Float64Array.from(samples).sort()
      samples = []
      return {
        samples: sorted.length,
        p50Ms: percentile(sorted, 0.5) / 1000,
        p99Ms: percentile(sorted, 0.99) / 1000,
        maxMs: (sorted[sorted.length - 1] ?? Number.NaN) / 1000,
      } satisfies LatencyReport
    }
    case 'mark':
      return {
        received,
        bytes,
        open,
        closed,
        cpu: process.cpuUsage(),
        atMicros: nowMicros(),
      } satisfies ClientMark
    case 'close':
      for (const conn of conns) conn.socket.destroy()
      return null
  }
})
