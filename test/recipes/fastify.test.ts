import { createClient } from '@tidings/client'
import type { Emitter } from '@tidings/server'
import type { FastifyInstance } from 'fastify'
import { expect, it } from 'vitest'
import { type ContractModule, importRecipe, recipeFiles, until } from './support.js'

// docs/recipes/fastify.md: a hijacked reply handed to the Node handler, and a
// preClose hook so that app.close() ends the streams instead of waiting on them.

it('streams from a Fastify route, and closes with streams open', async () => {
  const dir = recipeFiles('fastify')
  const { events } = await importRecipe<ContractModule>(dir, 'contract.ts')
  const { app, emitter } = await importRecipe<{
    app: FastifyInstance
    emitter: Emitter<typeof events>
  }>(dir, 'app.ts')
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const client = createClient(events, `${base}/events`, { topics: ['room:lobby'] })
  try {
    const received: unknown[] = []
    client.on('chat:message', (message) => received.push(message))
    await until(() => client.status.state === 'open', 'the stream to open')

    const response = await fetch(`${base}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'ada', text: 'hi' }),
    })
    expect(response.status).toBe(202)
    await until(() => received.length === 1, 'the message on the stream')
    expect(received).toEqual([{ user: 'ada', text: 'hi' }])

    const stream = await fetch(`${base}/events`)
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    await stream.body?.cancel()

    // The client's stream is still open: close() must end it rather than wait for it.
    await app.close()
    expect(emitter.stats().connections).toBe(0)
    await until(() => client.status.state === 'reconnecting', 'the client to notice')
  } finally {
    client.close()
    await emitter.close()
    await app.close()
  }
})
