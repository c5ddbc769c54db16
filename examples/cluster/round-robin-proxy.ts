import net from 'node:net'

/** A running proxy: where it listens, and how to stop it. */
export interface RoundRobinProxy {
  readonly port: number
  /** Connections handed to each backend so far, by its port. */
  readonly handled: ReadonlyMap<number, number>
  close(): Promise<void>
}

/**
 * A small TCP load balancer on 127.0.0.1: each new connection goes to the next
 * backend in turn, skipping one that refuses, so a client whose server died
 * reconnects to another. It is what sits in front of several Tidings processes
 * in the cluster demo (and the tests): it knows nothing of HTTP or SSE.
 */
export function startRoundRobinProxy(
  backends: readonly number[],
  port = 0,
): Promise<RoundRobinProxy> {
  let next = 0
  const handled = new Map<number, number>()
  const sockets = new Set<net.Socket>()
  const connect = (client: net.Socket, tries: number): void => {
    if (tries >= backends.length) {
      client.destroy()
      return
    }
    const target = backends[next++ % backends.length]!
    const upstream = net.connect(target, '127.0.0.1')
    sockets.add(upstream)
    upstream.once('close', () => sockets.delete(upstream))
    upstream.once('connect', () => {
      handled.set(target, (handled.get(target) ?? 0) + 1)
      client.pipe(upstream)
      upstream.pipe(client)
      client.resume()
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
      upstream.once('close', () => client.destroy())
      client.once('close', () => upstream.destroy())
    })
    upstream.once('error', () => {
      if (!upstream.readyState.startsWith('open')) connect(client, tries + 1)
    })
  }
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client)
    client.once('close', () => sockets.delete(client))
    client.on('error', () => {})
    connect(client, 0)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        handled,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy()
            server.close(() => done())
          }),
      })
    })
  })
}
