/**
 * The chaos proxy in a process of its own, so its accept loop never waits behind
 * the server's or the clients' I/O (one busy event loop accepts new connections
 * slowly, which turns every reconnect storm into seconds of queueing).
 * Started by `soak.ts` with the target port, the seed and the faults as JSON.
 */
import { type ChaosFaults, type ChaosProxy, startChaosProxy } from '../support/chaos-proxy.js'
import { announceReady, serveParent } from '../support/child-rpc.js'

export type ProxyRequest = { cmd: 'stats' } | { cmd: 'calm' } | { cmd: 'close' }

const [targetPort, seed, faults] = process.argv.slice(2)
const proxy: ChaosProxy = await startChaosProxy({
  targetPort: Number(targetPort),
  seed: Number(seed),
  faults: JSON.parse(faults ?? '{}') as Partial<ChaosFaults>,
})

serveParent<ProxyRequest>(async (request) => {
  switch (request.cmd) {
    case 'stats':
      return proxy.stats()
    case 'calm':
      proxy.calm()
      return null
    case 'close':
      await proxy.close()
      return null
  }
})
announceReady(proxy.port)
