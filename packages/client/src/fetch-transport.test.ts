import { describe, expect, it } from 'vitest'
import { ConnectionError, ResponseError } from './errors.js'
import { createFetchTransport } from './fetch-transport.js'
import type { FetchLikeResponse, ReaderLike } from './options.js'

const respond =
  (response: Partial<FetchLikeResponse> & { type?: string | null; retryAfter?: string }) =>
  async (): Promise<FetchLikeResponse> => ({
    status: 200,
    body: null,
    ...response,
    headers: {
      get: (name) =>
        name === 'content-type'
          ? response.type === undefined
            ? 'text/event-stream'
            : response.type
          : name === 'retry-after'
            ? (response.retryAfter ?? null)
            : null,
    },
  })

const request = (signal = new AbortController().signal) => ({
  url: 'http://x/events',
  headers: undefined,
  lastEventId: undefined,
  signal,
})
const noop = () => {}

describe('createFetchTransport', () => {
  it.each([
    ['5', 5000],
    [' 12 ', 12_000],
    ['soon', undefined],
    ['', undefined],
    [new Date(0).toUTCString(), 0],
  ])('reads Retry-After %j as %j ms', async (value, expected) => {
    const transport = createFetchTransport(respond({ status: 503, retryAfter: value }))
    const error = await transport.connect(request(), noop, noop).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ResponseError)
    expect((error as ResponseError).retryAfterMs).toBe(expected)
  })

  it('fails a 200 without a body as a network error', async () => {
    const transport = createFetchTransport(respond({ status: 200, body: null }))
    const error = await transport.connect(request(), noop, noop).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error).toMatchObject({ code: 'network' })
  })

  it('cancels the body itself when the signal aborts (not every fetch does)', async () => {
    let cancelled = false
    let wake: (() => void) | undefined
    const reader: ReaderLike = {
      read: () =>
        new Promise((resolve) => {
          wake = () => resolve({ done: true })
        }),
      cancel: async () => {
        cancelled = true
        wake?.()
      },
    }
    const transport = createFetchTransport(respond({ body: { getReader: () => reader } }))
    const controller = new AbortController()
    let opened = false
    const done = transport.connect(
      request(controller.signal),
      () => {
        opened = true
      },
      noop,
    )
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(opened).toBe(true)
    controller.abort()
    await expect(done).resolves.toBe(true)
    expect(cancelled).toBe(true)
  })

  it('passes text chunks through and ends on done', async () => {
    const chunks = ['data: 1\n\n', new TextEncoder().encode('data: 2\n\n')]
    const reader: ReaderLike = {
      read: async () => {
        const value = chunks.shift()
        return value === undefined ? { done: true } : { done: false, value }
      },
      cancel: async () => {},
    }
    const got: Array<string | Uint8Array> = []
    const transport = createFetchTransport(respond({ body: { getReader: () => reader } }))
    await expect(transport.connect(request(), noop, (c) => got.push(c))).resolves.toBe(true)
    expect(got).toHaveLength(2)
  })
})
