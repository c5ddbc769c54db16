import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../../examples/demo.js'
import { freePort } from '../support/net.js'

// The chat's HTTP API without a browser: every refusal has a status and a
// clear JSON error, as examples/chat/README.md documents.

describe('chat HTTP API', () => {
  let demo: Demo
  const post = (query: string, body: string, type = 'application/json') =>
    fetch(new URL(`chat/messages${query}`, demo.url), {
      method: 'POST',
      headers: { 'Content-Type': type },
      body,
    })
  const errorOf = async (response: Response) =>
    ((await response.json()) as { error: { code: string; message: string } }).error

  beforeAll(async () => {
    demo = await startDemo({
      port: await freePort(),
      chat: { rateLimit: { max: 2, windowMs: 60_000 } },
    })
  })

  afterAll(async () => {
    await demo?.close()
  })

  it('accepts a message and answers with its event id', async () => {
    const response = await post('?nick=ann', JSON.stringify({ text: '  hello  ' }))
    expect(response.status).toBe(201)
    expect(((await response.json()) as { id: string }).id).toMatch(/^[0-9a-z]+-\d+$/)
  })

  it('wants a nickname', async () => {
    const response = await post('', JSON.stringify({ text: 'hi' }))
    expect(response.status).toBe(401)
    expect((await errorOf(response)).code).toBe('unauthorized')
    expect((await post('?nick=has%20space', '{"text":"hi"}')).status).toBe(401)
  })

  it('takes the nickname from a cookie too', async () => {
    const response = await fetch(new URL('chat/messages', demo.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: 'theme=dark; nick=cookie-cat' },
      body: JSON.stringify({ text: 'from a cookie' }),
    })
    expect(response.status).toBe(201)
  })

  it('refuses what is not a JSON message', async () => {
    expect((await errorOf(await post('?nick=bea', 'text=hi', 'text/plain'))).code).toBe(
      'unsupported_media_type',
    )
    expect((await errorOf(await post('?nick=bea', '{nope'))).code).toBe('invalid_json')
    const missing = await post('?nick=bea', '{"message":"hi"}')
    expect(missing.status).toBe(400)
    expect(await errorOf(missing)).toEqual({
      code: 'invalid_message',
      message: 'Send the message as JSON: {"text": "..."}.',
    })
    const huge = await post('?nick=bea', JSON.stringify({ text: 'x'.repeat(20_000) }))
    expect(huge.status).toBe(413)
  })

  it('validates against the contract: not empty, at most 2000 characters', async () => {
    const empty = await post('?nick=cid', JSON.stringify({ text: '   ' }))
    expect(empty.status).toBe(400)
    expect((await errorOf(empty)).message).toBe('A message cannot be empty.')
    const long = await post('?nick=cid', JSON.stringify({ text: 'x'.repeat(2001) }))
    expect(long.status).toBe(400)
    expect(await errorOf(long)).toEqual({
      code: 'invalid_message',
      message: 'Message is too long: at most 2000 characters.',
    })
    expect((await post('?nick=cid', JSON.stringify({ text: 'x'.repeat(2000) }))).status).toBe(201)
  })

  it('limits each nickname, with Retry-After, and counts only accepted messages', async () => {
    expect((await post('?nick=dot', '{"text":"1"}')).status).toBe(201)
    expect((await post('?nick=dot', '{"text":""}')).status).toBe(400)
    expect((await post('?nick=dot', '{"text":"2"}')).status).toBe(201)
    const limited = await post('?nick=dot', '{"text":"3"}')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await errorOf(limited)).message).toMatch(
      /^Slow down: at most 2 messages every 60 s\. Try again in \d+ s\.$/,
    )
    // Someone else is not affected.
    expect((await post('?nick=eli', '{"text":"1"}')).status).toBe(201)
  })

  it('answers other methods with 405', async () => {
    const response = await fetch(new URL('chat/messages?nick=ann', demo.url))
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST')
  })

  it('refuses a stream without a nickname, or for another room', async () => {
    const anonymous = await fetch(new URL('chat/events?topic=room:lobby', demo.url))
    expect(anonymous.status).toBe(401)
    const elsewhere = await fetch(new URL('chat/events?nick=ann&topic=room:secret', demo.url))
    expect(elsewhere.status).toBe(403)
  })
})
