import type { Redis } from 'ioredis'

/**
 * Who is online: open streams per nickname, and a revision that grows with
 * every join and leave (pages drop presence events older than what they saw).
 * In memory for one process; in Redis when several processes serve the chat,
 * so each one's join and leave events carry the whole room.
 */
export interface Presence {
  /** A stream of `nick` opened; resolves `true` when it is the nickname's first. */
  opened(nick: string): Promise<boolean>
  /** A stream of `nick` closed; resolves `true` when it was the last one. */
  closed(nick: string): Promise<boolean>
  /** The nicknames online, sorted. */
  online(): Promise<string[]>
  /** The current revision; `next` first increments it. */
  rev(next?: boolean): Promise<number>
}

const sorted = (names: string[]) => names.sort((a, b) => a.localeCompare(b))

export function createMemoryPresence(): Presence {
  const streams = new Map<string, number>()
  let rev = 0
  return {
    opened: async (nick) => {
      const count = (streams.get(nick) ?? 0) + 1
      streams.set(nick, count)
      return count === 1
    },
    closed: async (nick) => {
      const count = (streams.get(nick) ?? 1) - 1
      if (count > 0) streams.set(nick, count)
      else streams.delete(nick)
      return count <= 0
    },
    online: async () => sorted([...streams.keys()]),
    rev: async (next = false) => (next ? ++rev : rev),
  }
}

/**
 * Presence in a Redis hash (`HINCRBY` per stream) and a counter. A process that
 * dies without closing its streams leaves its counts behind: fine for a demo,
 * a real app would expire them (a heartbeat per process, say).
 */
export function createRedisPresence(redis: Redis, prefix: string): Presence {
  const counts = `${prefix}:presence`
  const revision = `${prefix}:rev`
  return {
    opened: async (nick) => (await redis.hincrby(counts, nick, 1)) === 1,
    closed: async (nick) => {
      const left = await redis.hincrby(counts, nick, -1)
      if (left > 0) return false
      await redis.hdel(counts, nick)
      return true
    },
    online: async () => sorted(await redis.hkeys(counts)),
    rev: async (next = false) =>
      next ? redis.incr(revision) : Number((await redis.get(revision)) ?? 0),
  }
}
