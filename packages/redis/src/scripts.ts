import { createHash } from 'node:crypto'

/**
 * The Lua scripts the store runs in Redis. Each runs atomically, which is what
 * gives every process one order: the seq counter, the epoch and the stream
 * entry are written in one step.
 *
 * Keys: `KEYS[1]` the epoch (a string), `KEYS[2]` the seq counter, `KEYS[3]`
 * the stream. Stream entry ids are `<seq>-0`, so a seq is found with `XRANGE`
 * directly, and a reader blocked after the last id it saw wakes for the next.
 *
 * A new epoch starts its seqs at Redis's clock in microseconds (`TIME`): a
 * flushed or replaced Redis then hands out ids above any the readers already
 * saw, so their `XREAD` picks the new history up (and the epoch tells it apart),
 * instead of blocking below ids that will never come back.
 *
 * Numbers cross into Lua as doubles (exact up to 2^53); `%.0f` prints them
 * whole where plain concatenation would print `1.7e+15`.
 */
const ENSURE_EPOCH = `
local epoch = redis.call('GET', KEYS[1])
if (not epoch) or redis.call('EXISTS', KEYS[2]) == 0 then
  epoch = ARGV[1]
  local now = redis.call('TIME')
  redis.call('SET', KEYS[1], epoch)
  redis.call('SET', KEYS[2], now[1] .. string.format('%06d', tonumber(now[2])))
end
`

/**
 * Appends a batch of events, in order: ARGV = proposed epoch, max length, then
 * four per event (name, data, topics, time). Their seqs are consecutive;
 * returns `{epoch, first seq}`. One script call for the events an event-loop
 * turn emitted: the per-call cost (a round trip's parsing on both sides, the
 * script's start) is what limits appends, not the entries.
 */
export const APPEND = `${ENSURE_EPOCH}
local count = (#ARGV - 2) / 4
local last = redis.call('INCRBY', KEYS[2], count)
local first = last - count + 1
for i = 0, count - 1 do
  local at = 3 + i * 4
  local id = string.format('%.0f', first + i) .. '-0'
  if ARGV[at + 2] == '' then
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], id, 'e', epoch, 'n', ARGV[at], 'd', ARGV[at + 1], 'a', ARGV[at + 3])
  else
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], id, 'e', epoch, 'n', ARGV[at], 'd', ARGV[at + 1], 't', ARGV[at + 2], 'a', ARGV[at + 3])
  end
end
return {epoch, string.format('%.0f', first)}
`

/** The current epoch and head, creating the epoch if there is none: ARGV = proposed epoch. */
export const HEAD = `${ENSURE_EPOCH}
return {epoch, redis.call('GET', KEYS[2])}
`

/**
 * Starts a new epoch if the current one is still `ARGV[1]` (a reader found
 * Redis restored from an older copy: the old seqs would be handed out again).
 * ARGV = the epoch to replace, the new epoch. Returns `{epoch, head}`.
 */
export const ROTATE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[1], ARGV[2])
  redis.call('SET', KEYS[2], now[1] .. string.format('%06d', tonumber(now[2])))
end
return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}
`

/** A script and its SHA-1, for `EVALSHA` with a fallback to `EVAL`. */
export interface Script {
  readonly source: string
  readonly sha: string
}

export const script = (source: string): Script => ({
  source,
  sha: createHash('sha1').update(source).digest('hex'),
})
