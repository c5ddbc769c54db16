import { createParser, type ParsedEvent } from '@tidings/schema'
import type { Emitter } from '@tidings/server'
import { expect, it } from 'vitest'
import { type ContractModule, importRecipe, recipeFiles } from './support.js'

// docs/recipes/fetch-runtimes.md: the module Bun and `deno serve` would serve,
// driven here in Node through its default export's `fetch` with web-standard
// Requests and Responses only. Bun and Deno themselves are not run.

/** Reads events from a stream Response until `count` have arrived. */
async function read(response: Response, count: number): Promise<ParsedEvent[]> {
  const events: ParsedEvent[] = []
  const parser = createParser({ onEvent: (event) => events.push(event) })
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  for (let chunks = 0; events.length < count && chunks < 100; chunks++) {
    const { done, value } = await reader.read()
    if (done) break
    parser.feed(value)
  }
  await reader.cancel()
  return events
}

it('serves the stream, resumes from Last-Event-ID and answers 404, all as web Requests', async () => {
  const dir = recipeFiles('fetch-runtimes')
  const { events } = await importRecipe<ContractModule>(dir, 'contract.ts')
  const server = await importRecipe<{
    default: { fetch(request: Request): Promise<Response> | Response }
    emitter: Emitter<typeof events>
    clock: ReturnType<typeof setInterval>
  }>(dir, 'server.ts')
  clearInterval(server.clock)
  const { emitter } = server
  const handler = server.default
  try {
    const first = await handler.fetch(new Request('http://localhost:3000/events'))
    expect(first.status).toBe(200)
    expect(first.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const one = emitter.emit('server-time', { time: 1 })
    const two = emitter.emit('server-time', { time: 2 })
    const live = await read(first, 2)
    expect(live.map((event) => [event.id, event.data])).toEqual([
      [one, '{"time":1}'],
      [two, '{"time":2}'],
    ])

    // A reconnection that processed the first event gets the second replayed.
    const again = await handler.fetch(
      new Request('http://localhost:3000/events', { headers: { 'Last-Event-ID': one } }),
    )
    expect((await read(again, 1)).map((event) => event.id)).toEqual([two])

    const missing = await handler.fetch(new Request('http://localhost:3000/'))
    expect(missing.status).toBe(404)
  } finally {
    await emitter.close()
  }
})
