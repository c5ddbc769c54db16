/**
 * A proxy on 127.0.0.1 that does what some corporate proxies and misconfigured
 * reverse proxies do to Server-Sent Events: it holds a `text/event-stream`
 * response (headers and body) until the stream ends, so a client sees nothing
 * of a live stream. Every other response is passed through as it comes, and
 * WebSocket upgrades are tunnelled byte for byte: the case the client's
 * `transport: 'auto'` falls back for.
 */
import http from 'node:http'
import net, { type AddressInfo, type Socket } from 'node:net'

export interface BufferingProxy {
  readonly url: string
  /** Requests seen, as `METHOD path`, upgrades as `UPGRADE path`. */
  readonly seen: string[]
  close(): Promise<void>
}

export async function startBufferingProxy(targetPort: number): Promise<BufferingProxy> {
  const seen: string[] = []
  const sockets = new Set<Socket>()
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: targetPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        if (!/^text\/event-stream/i.test(up.headers['content-type'] ?? '')) {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
          return
        }
        const chunks: Buffer[] = []
        up.on('data', (chunk: Buffer) => chunks.push(chunk))
        up.on('end', () => {
          res.writeHead(up.statusCode ?? 502, up.headers)
          res.end(Buffer.concat(chunks))
        })
      },
    )
    upstream.on('error', () => res.destroy())
    res.on('close', () => upstream.destroy())
    req.pipe(upstream)
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    seen.push(`UPGRADE ${req.url}`)
    const upstream = net.connect(targetPort, '127.0.0.1', () => {
      let raw = `${req.method} ${req.url} HTTP/1.1\r\n`
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`
      }
      upstream.write(`${raw}\r\n`)
      upstream.write(head)
      socket.pipe(upstream).pipe(socket)
    })
    sockets.add(upstream)
    upstream.on('close', () => {
      sockets.delete(upstream)
      socket.destroy()
    })
    upstream.on('error', () => socket.destroy())
    socket.on('error', () => upstream.destroy())
    socket.on('close', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
