import { createClient } from '@tidings/client'
import type { Emitter } from '@tidings/server'
import type { Hono } from 'hono'
import { expect, it } from 'vitest'
import { type ContractModule, importRecipe, recipeFiles, until } from './support.js'

// docs/recipes/hono.md, through Hono's own web-standard entry points only
// (`app.fetch`, `app.request`): no server, no port, as on any runtime.

it('streams from a Hono route what the POST route emits, with web Requests only', async () => {
  const dir = recipeFiles('hono')
  const { events } = await importRecipe<ContractModule>(dir, 'contract.ts')
  const recipe = await importRecipe<{
    app: Hono
    emitter: Emitter<typeof events>
    default: Hono
  }>(dir, 'app.ts')
  const { app, emitter } = recipe
  expect(recipe.default).toBe(app)
  const client = createClient(events, 'http://app.test/events', {
    topics: ['room:lobby'],
    fetch: async (url, init) => app.fetch(new Request(url, init)),
  })
  try {
    const received: unknown[] = []
    client.on('chat:message', (message) => received.push(message))
    await until(() => client.status.state === 'open', 'the stream to open')

    const post = (body: unknown) =>
      app.request('/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await post({ user: 'ada', text: 'hi' })).status).toBe(202)
    await until(() => received.length === 1, 'the message on the stream')
    expect(received).toEqual([{ user: 'ada', text: 'hi' }])
    expect((await post({ user: 'ada' })).status).toBe(400)
  } finally {
    client.close()
    await emitter.close()
  }
})
