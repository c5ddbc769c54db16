import { StoreError } from '@tidings/server'
import type { Script } from './scripts.js'

/**
 * The part of an `ioredis` client the store uses: raw commands, a duplicate
 * connection for the blocking reader, its status and events. An `ioredis`
 * `Redis` instance fits; nothing of `ioredis` is imported, so the package does
 * not need it installed to type-check.
 */
export interface RedisClient {
  /** `'ready'` once connected; anything else means commands would wait or fail. */
  readonly status: string
  call(command: string, ...args: (string | number)[]): Promise<unknown>
  /** A new connection with the same options (and `overrides`). */
  duplicate(overrides?: Record<string, unknown>): RedisClient
  on(event: string, listener: (...args: unknown[]) => void): unknown
  off(event: string, listener: (...args: unknown[]) => void): unknown
  /** Closes the connection at once (a blocked command is rejected). */
  disconnect(): void
}

/** Runs a script by SHA-1, loading it on the first `NOSCRIPT` (a restarted or flushed Redis). */
export async function runScript(
  client: RedisClient,
  script: Script,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.call('EVALSHA', script.sha, keys.length, ...keys, ...args)
  } catch (error) {
    if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error
    return client.call('EVAL', script.source, keys.length, ...keys, ...args)
  }
}

/**
 * Races `promise` against `ms`: past it, a `StoreError('timeout')` (the command
 * may still have run). A rejection becomes a `StoreError('failed')`, or
 * `unavailable` when the client is not connected.
 */
export function withTimeout<T>(
  client: RedisClient,
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StoreError(
            'timeout',
            `Redis did not answer ${what} within ${ms} ms (commandTimeoutMs): it may or may not have been done.`,
          ),
        ),
      ms,
    )
  })
  return Promise.race([promise, timeout])
    .catch((error: unknown) => {
      if (error instanceof StoreError) throw error
      throw client.status === 'ready'
        ? new StoreError('failed', `Redis refused ${what}: ${(error as Error)?.message}`, {
            cause: error,
          })
        : new StoreError(
            'unavailable',
            `Redis is not reachable (${client.status}): ${what} failed.`,
            {
              cause: error,
            },
          )
    })
    .finally(() => clearTimeout(timer))
}
