import type { AddressInfo } from 'node:net'
import { createClient } from '@tidings/client'
import type { Emitter } from '@tidings/server'
import type { Express } from 'express'
import { expect, it } from 'vitest'
import { type ContractModule, importRecipe, recipeFiles, until } from './support.js'

// docs/recipes/express.md: the stream as an Express route, a POST route that emits.

it('streams from an Express route what the POST route emits', async () => {
  const dir = recipeFiles('express')
  const { events } = await importRecipe<ContractModule>(dir, 'contract.ts')
  const { app, emitter } = await importRecipe<{
    app: Express
    emitter: Emitter<typeof events>
  }>(dir, 'app.ts')
  const server = app.listen(0, '127.0.0.1')
  await new Promise((done) => server.once('listening', done))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const client = createClient(events, `${base}/events`, { topics: ['room:lobby'] })
  try {
    const received: unknown[] = []
    const ids: (string | undefined)[] = []
    client.on('chat:message', (message, meta) => {
      received.push(message)
      ids.push(meta.id)
    })
    await until(() => client.status.state === 'open', 'the stream to open')

    const post = (body: unknown) =>
      fetch(`${base}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const accepted = await post({ user: 'ada', text: 'hi' })
    expect(accepted.status).toBe(202)
    const { id } = (await accepted.json()) as { id: string }
    await until(() => received.length === 1, 'the message on the stream')
    expect(received).toEqual([{ user: 'ada', text: 'hi' }])
    expect(ids).toEqual([id])

    const refused = await post({ user: 'ada', text: 'x'.repeat(2001) })
    expect(refused.status).toBe(400)
    expect(emitter.stats().eventsEmitted).toBe(1)
  } finally {
    client.close()
    await emitter.close()
    await new Promise((done) => server.close(done))
  }
})
