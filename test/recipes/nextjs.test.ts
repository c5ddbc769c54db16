import { createParser, type ParsedEvent } from '@tidings/schema'
import type { Emitter } from '@tidings/server'
import { afterAll, expect, it, vi } from 'vitest'
import { type ContractModule, importRecipe, recipeFiles } from './support.js'

// docs/recipes/nextjs.md, without Next.js: a route handler is a function from a
// web Request to a Response. A hot reload (or a second bundle) evaluates the
// modules again; the recipe's emitter must be the same one afterwards.

interface RouteModules {
  emitter: Emitter<ContractModule['events']>
  events: { GET(request: Request): Promise<Response>; dynamic: string; runtime: string }
  messages: { POST(request: Request): Promise<Response> }
}

async function load(dir: string): Promise<RouteModules> {
  const { emitter } = await importRecipe<{ emitter: RouteModules['emitter'] }>(
    dir,
    'lib/emitter.ts',
  )
  return {
    emitter,
    events: await importRecipe(dir, 'app/events/route.ts'),
    messages: await importRecipe(dir, 'app/messages/route.ts'),
  }
}

const store = globalThis as { tidingsEmitter?: Emitter<ContractModule['events']> }

afterAll(async () => {
  await store.tidingsEmitter?.close()
  delete store.tidingsEmitter
})

it('keeps one emitter across a reload: a stream from the old route gets what the new route emits', async () => {
  const dir = recipeFiles('nextjs')
  const before = await load(dir)
  expect(before.events.dynamic).toBe('force-dynamic')
  expect(before.events.runtime).toBe('nodejs')

  const response = await before.events.GET(
    new Request('http://localhost:3000/events?topic=room:lobby'),
  )
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')

  vi.resetModules() // what a hot reload does: the next imports evaluate the modules again
  const after = await load(dir)
  expect(after.events).not.toBe(before.events)
  expect(after.emitter).toBe(before.emitter)

  const posted = await after.messages.POST(
    new Request('http://localhost:3000/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'ada', text: 'hi' }),
    }),
  )
  expect(posted.status).toBe(202)
  const { id } = (await posted.json()) as { id: string }

  const received: ParsedEvent[] = []
  const parser = createParser({ onEvent: (event) => received.push(event) })
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  for (let chunks = 0; received.length === 0 && chunks < 100; chunks++) {
    const { done, value } = await reader.read()
    if (done) break
    parser.feed(value)
  }
  await reader.cancel()
  expect(received).toEqual([
    { id, event: 'chat:message', data: JSON.stringify({ user: 'ada', text: 'hi' }) },
  ])

  const refused = await after.messages.POST(
    new Request('http://localhost:3000/messages', { method: 'POST', body: '{"user":"ada"}' }),
  )
  expect(refused.status).toBe(400)
})
