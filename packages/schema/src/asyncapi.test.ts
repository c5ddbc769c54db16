import { Parser } from '@asyncapi/parser'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import * as entry from './asyncapi.js'
import { toAsyncAPI } from './asyncapi.js'
import { defineEvents } from './define-events.js'
import { ContractError } from './errors.js'

const events = defineEvents({
  'server-time': z.object({ time: z.number() }),
  'chat:message': z.object({ user: z.string(), text: z.string().max(2000) }),
  // The wire carries what emit accepted: a string, turned into a number by the client.
  'job:done': z.object({ at: z.string().transform((text) => Date.parse(text)) }),
})

const info = { title: 'Shop events', version: '1.2.0' }

// One parser for the file: it compiles the AsyncAPI schemas on first use, which
// is slow (seconds on a busy machine), hence also the longer timeout below.
const parser = new Parser()

/** The official parser's verdict: errors (severity 0) and warnings (1), as readable lines. */
async function problems(document: unknown): Promise<string[]> {
  const { diagnostics } = await parser.parse(JSON.stringify(document))
  return diagnostics
    .filter((diagnostic) => diagnostic.severity <= 1)
    .map((diagnostic) => `${diagnostic.path.join('.')}: ${diagnostic.message}`)
}

it('exports exactly the public surface of @tidings/schema/asyncapi', () => {
  expect(Object.keys(entry).sort()).toMatchInlineSnapshot(`
    [
      "toAsyncAPI",
    ]
  `)
})

describe('toAsyncAPI', { timeout: 60_000 }, () => {
  it('writes a document the official AsyncAPI parser accepts without error or warning', async () => {
    const document = toAsyncAPI(events, {
      info: { ...info, description: 'What the shop tells browsers.' },
      path: '/shop/events',
      topics: ['room:lobby', 'orders'],
      server: 'https://api.example.com/v1',
    })
    expect(await problems(document)).toEqual([])
    const { document: parsed } = await parser.parse(JSON.stringify(document))
    expect(
      parsed
        ?.messages()
        .all()
        .map((message) => message.name()),
    ).toEqual(['server-time', 'chat:message', 'job:done', 'tidings:gap'])
    expect(parsed?.channels().all()[0]?.address()).toBe('/shop/events')
    expect(parsed?.servers().all()[0]?.url()).toBe('https://api.example.com/v1')
  })

  it('gives each event its payload schema, the input side of transforms included', () => {
    const document = toAsyncAPI(events, { info })
    const messages = document.components.messages as Record<string, Record<string, unknown>>
    expect(Object.keys(messages)).toEqual([
      'server-time',
      'chat_message',
      'job_done',
      'tidings_gap',
    ])
    expect(messages.chat_message).toMatchObject({
      name: 'chat:message',
      contentType: 'application/json',
      payload: {
        schemaFormat: 'application/schema+json;version=draft-07',
        schema: {
          type: 'object',
          properties: { user: { type: 'string' }, text: { type: 'string', maxLength: 2000 } },
          required: ['user', 'text'],
        },
      },
    })
    expect(messages.job_done?.payload).toMatchObject({
      schema: { properties: { at: { type: 'string' } } },
    })
  })

  it('documents the resume parameters, the topics and the gap event', () => {
    const document = toAsyncAPI(events, { info, topics: ['room:lobby'] })
    const operation = (document.operations as Record<string, Record<string, unknown>>).streamEvents!
    expect(operation.action).toBe('send')
    expect(operation.bindings).toMatchObject({
      http: {
        method: 'GET',
        query: {
          properties: {
            topic: { type: 'array', items: { type: 'string', enum: ['room:lobby'] } },
            lastEventId: { type: 'string' },
            replay: { type: 'integer', minimum: 0 },
          },
        },
      },
    })
    expect(operation['x-tidings']).toMatchObject({
      resume: { header: 'Last-Event-ID', query: 'lastEventId', gapEvent: 'tidings:gap' },
    })
    const gap = (document.components.messages as Record<string, { payload: unknown }>).tidings_gap
    expect(gap?.payload).toMatchObject({
      schema: {
        properties: {
          reason: { enum: ['malformed', 'other-epoch', 'expired', 'unknown', 'reset'] },
        },
        required: ['reason', 'lastEventId'],
      },
    })
  })

  it('keeps message keys apart when two names sanitise alike', () => {
    const clash = defineEvents({ 'a:b': z.number(), a_b: z.string() })
    const messages = toAsyncAPI(clash, { info }).components.messages as Record<
      string,
      { name: string }
    >
    expect(Object.entries(messages).map(([key, message]) => [key, message.name])).toEqual([
      ['a_b', 'a:b'],
      ['a_b_2', 'a_b'],
      ['tidings_gap', 'tidings:gap'],
    ])
  })

  it('refuses a schema JSON Schema cannot express, naming the event', () => {
    const dated = defineEvents({ 'job:done': z.object({ at: z.date() }) })
    const attempt = () => toAsyncAPI(dated, { info })
    expect(attempt).toThrow(ContractError)
    expect(attempt).toThrow(/Event "job:done": its schema cannot be written as JSON Schema \(Date/)
    try {
      attempt()
    } catch (error) {
      expect((error as ContractError).code).toBe('unsupported_schema')
    }
  })

  it('asks for a converter when the validator has none, and uses the one given', async () => {
    const contract = defineEvents({ ping: v.object({ n: v.number() }) })
    expect(() => toAsyncAPI(contract, { info })).toThrow(
      /Event "ping": its valibot schema does not implement Standard JSON Schema/,
    )
    const document = toAsyncAPI(contract, {
      info,
      jsonSchema: () => ({ type: 'object', properties: { n: { type: 'number' } } }),
    })
    expect(await problems(document)).toEqual([])
  })
})
