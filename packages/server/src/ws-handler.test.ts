import { PassThrough } from 'node:stream'
import { defineEvents } from '@tidings/schema'
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { createEmitter } from './create-emitter.js'
import { DependencyError } from './errors.js'

// A project that never installed the optional peer dependency.
vi.mock('ws', () => {
  throw new Error("Cannot find package 'ws'")
})

describe('emitter.upgrade without ws', () => {
  it('rejects with a DependencyError saying what to install, answers 501, reports it', async () => {
    const reported: unknown[] = []
    const emitter = createEmitter(defineEvents({ tick: z.object({ n: z.number() }) }), {
      onError: (error) => reported.push(error),
    })
    const socket = new PassThrough()
    let answer = ''
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString()
    })
    const req = { headers: {}, url: '/events' } as never
    const failure = await emitter.upgrade(req, socket, new Uint8Array()).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(DependencyError)
    expect((failure as Error).message).toMatch(/npm install ws/)
    expect(answer).toMatch(/^HTTP\/1\.1 501/)
    expect(reported).toEqual([failure])
    // The emitter carries on serving SSE.
    expect(emitter.stats().connections).toBe(0)
    await emitter.close()
  })
})
