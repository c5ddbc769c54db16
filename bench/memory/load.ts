/**
 * The memory bench's load process: raw `net` sockets to 127.0.0.1 that either
 * never read (after sending the request, or after socket.io's handshake, which
 * must be read), so the server's socket buffers fill and its own buffering
 * shows; or read as fast as they can, counting events by a marker in the raw
 * bytes (no HTTP, SSE or WebSocket parsing, so the load stays cheap).
 */
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { announceReady, serveParent } from '../../test/support/child-rpc.js'
import { EVENT_MARKER, type LoadProgress, type LoadRequest, type Wire } from './protocol.js'

const MARK = Buffer.from(EVENT_MARKER)
const HEAD_END = Buffer.from('\r\n\r\n')
const SIO_CONNECTED = Buffer.from('40{')
// engine.io v4: the server's ping is the text frame "2"; the client answers "3".
const PING_FRAME = Buffer.from([0x81, 0x01, 0x32])
const MAX_HANDSHAKE_BYTES = 64 * 1024

/** A masked client-to-server text frame (a zero mask: the server only requires the mask bit). */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text)
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload])
}
const SIO_CONNECT = clientFrame('40')
const PONG = clientFrame('3')

const sockets: Socket[] = []
let events = 0
let bytes = 0
let closed = 0

function requestBytes(
  request: Extract<LoadRequest, { cmd: 'open' }>,
  index: number,
): { text: string; wire: Wire } {
  const topics = request.perUser ? ['team', `user:${index}`] : []
  const host = `Host: 127.0.0.1:${request.port}\r\n`
  if (request.wire === 'sse') {
    const query = topics.map((t) => `topic=${encodeURIComponent(t)}`).join('&')
    const resume =
      request.lastEventId === undefined ? '' : `Last-Event-ID: ${request.lastEventId}\r\n`
    return {
      wire: 'sse',
      text: `GET ${request.path}${query ? `?${query}` : ''} HTTP/1.1\r\n${host}Accept: text/event-stream\r\n${resume}\r\n`,
    }
  }
  // One comma-separated parameter, as socket.io-client sends an array in its query.
  const rooms = topics.length > 0 ? [`rooms=${encodeURIComponent(topics.join(','))}`] : []
  const query = ['EIO=4', 'transport=websocket', ...rooms].join('&')
  const key = randomBytes(16).toString('base64')
  return {
    wire: 'socket.io',
    text: `GET ${request.path}?${query} HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`,
  }
}

/** Counts markers in a reader's chunk; a marker split across reads is carried over. */
function counter(): (chunk: Buffer) => void {
  let carry: Buffer | null = null
  return (chunk) => {
    const buf: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk])
    carry = null
    for (let at = buf.indexOf(MARK); at !== -1; at = buf.indexOf(MARK, at + MARK.length)) events++
    for (let k = MARK.length - 1; k >= 1; k--) {
      if (buf.length >= k && MARK.compare(buf, buf.length - k, buf.length, 0, k) === 0) {
        carry = buf.subarray(buf.length - k)
        break
      }
    }
  }
}

/** Opens one connection; resolves once it is established as the scenario needs. */
function open(request: Extract<LoadRequest, { cmd: 'open' }>, index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const { text, wire } = requestBytes(request, index)
    const socket = connect({ host: '127.0.0.1', port: request.port })
    sockets.push(socket)
    socket.setNoDelay(true)
    socket.on('error', () => {})
    socket.on('close', () => {
      closed++
      reject(new Error(`connection ${index} closed before it was established`))
    })
    const count = counter()
    if (wire === 'sse' && !request.read) {
      // Never read: the request goes out, and nothing is ever taken off the socket.
      socket.on('connect', () => {
        socket.write(text)
        socket.pause()
        resolve()
      })
      return
    }
    let head: Buffer | null = Buffer.alloc(0)
    let established = false
    let sentConnect = false
    socket.on('connect', () => socket.write(text))
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      if (established) {
        if (wire === 'socket.io' && chunk.indexOf(PING_FRAME) !== -1) socket.write(PONG)
        count(chunk)
        return
      }
      head = Buffer.concat([head ?? Buffer.alloc(0), chunk])
      if (head.length > MAX_HANDSHAKE_BYTES) {
        socket.destroy()
        return
      }
      const end = head.indexOf(HEAD_END)
      if (end === -1) return
      if (wire === 'socket.io') {
        // After the 101: engine.io's open packet, our connect, then socket.io's connect ack.
        if (!sentConnect && head.indexOf('0{"sid"') !== -1) {
          sentConnect = true
          socket.write(SIO_CONNECT)
        }
        if (head.indexOf(SIO_CONNECTED, end) === -1) return
      }
      established = true
      const rest = head.subarray(end + HEAD_END.length)
      head = null
      if (!request.read) socket.pause()
      else count(rest)
      resolve()
    })
  })
}

serveParent<LoadRequest>(async (request) => {
  switch (request.cmd) {
    case 'open': {
      // At most 100 handshakes in flight.
      for (let from = 0; from < request.count; from += 100) {
        const batch: Promise<void>[] = []
        for (let i = from; i < Math.min(request.count, from + 100); i++)
          batch.push(open(request, i))
        await Promise.all(batch)
      }
      return null
    }
    case 'progress':
      return { events, bytes, closed } satisfies LoadProgress
    case 'close':
      for (const socket of sockets) socket.destroy()
      return null
  }
})
announceReady(process.pid)
