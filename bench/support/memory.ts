import { setTimeout as sleep } from 'node:timers/promises'

/** What a benchmark's server process holds, after garbage collection. */
export interface MemorySample {
  readonly rss: number
  readonly heapUsed: number
  readonly external: number
  readonly arrayBuffers: number
}

/** Collects garbage three times (with pauses, so finalizers run), then samples. */
export async function collectedMemory(): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('run the server with --expose-gc')
  for (let i = 0; i < 3; i++) {
    gc()
    await sleep(50)
  }
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage()
  return { rss, heapUsed, external, arrayBuffers }
}
