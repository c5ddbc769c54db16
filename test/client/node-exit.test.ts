import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { defineEvents } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { serveEmitter, serveNode } from './support.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const child = fileURLToPath(new URL('./fixtures/close-exits.ts', import.meta.url))
const tsx = `${root}node_modules/.bin/tsx`

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Runs the child; resolves with its exit code and output, or the kill if it hangs. */
const run = (url: string, mode: string) =>
  new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => {
      execFile(
        tsx,
        ['--conditions=@tidings/source', child, url, mode],
        { cwd: root, timeout: 30_000, killSignal: 'SIGKILL' },
        (error, stdout, stderr) =>
          resolve({
            code: error ? ((error as { code?: number }).code ?? null) : 0,
            signal: (error as { signal?: string } | null)?.signal ?? null,
            stdout,
            stderr,
          }),
      )
    },
  )

describe('close() in Node', () => {
  it('lets the process exit with a stream open and the idle timer armed', async () => {
    const events = defineEvents({ note: z.object({ text: z.string() }) })
    const emitter = createEmitter(events, { heartbeatMs: 60_000 })
    const served = await serveEmitter('node', emitter)
    cleanups.push(
      () => served.close(),
      () => emitter.close(),
    )
    const timer = setInterval(() => emitter.emit('note', { text: 'hello' }), 20)
    cleanups.push(() => clearInterval(timer))
    const result = await run(`${served.url}/events`, 'open')
    expect(result).toMatchObject({ code: 0, signal: null, stdout: 'closed after hello\n' })
  })

  it('lets the process exit while waiting to reconnect', async () => {
    const served = await serveNode((_req, res) => {
      res.writeHead(503, { 'retry-after': '120' }).end()
    })
    cleanups.push(() => served.close())
    const result = await run(served.url, 'reconnecting')
    expect(result).toMatchObject({
      code: 0,
      signal: null,
      stdout: 'closed while waiting 120000 ms\n',
    })
  })
})
