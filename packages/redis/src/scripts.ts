import { createHash } from 'node:crypto'
import { END_EVENT } from '@tidings/schema'

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
 * Appends a batch of events, in order: ARGV = proposed epoch, max length, the
 * end markers' lifetime in ms, the end markers' key prefix, then four per event
 * (name, data, topics, time). `KEYS[4]` on are the end markers of the batch's
 * topics (`<prefix><topic>`). The stored events' seqs are consecutive; returns
 * `{epoch, first seq, refused...}`, the refused being the 0-based places in the
 * batch of the events that were not stored, which the others' seqs skip. One
 * script call for the events an event-loop turn emitted: the per-call cost (a
 * round trip's parsing on both sides, the script's start) is what limits
 * appends, not the entries.
 *
 * Ends: an end event (named {@link END_EVENT}, to one topic) also writes the
 * topic's marker, `<epoch> <seq> <time> <data>`, which expires with the
 * emitter's `ended.maxAgeMs`. An event to a topic whose marker names the
 * current epoch is refused, in the same atomic step as the append: an emit to
 * an ended topic, or a second end, from a process that had not heard of the
 * first one yet. The cost on every call is one `MGET` of the markers of the
 * batch's topics, and a table look-up per event (a comma search only for an
 * event to several topics): measured at 10 to 20% more Redis time for a
 * call of 50 events to 50 topics.
 */
export const APPEND = `${ENSURE_EPOCH}
local skip = #ARGV[4] + 1
local current = epoch .. ' '
local markers = {}
local ended = {}
for from = 4, #KEYS, 1000 do
  local to = math.min(from + 999, #KEYS)
  local values = redis.call('MGET', unpack(KEYS, from, to))
  for i = from, to do
    local topic = string.sub(KEYS[i], skip)
    local marker = values[i - from + 1]
    markers[topic] = KEYS[i]
    ended[topic] = marker ~= false and string.sub(marker, 1, #current) == current
  end
end
local seq = tonumber(redis.call('GET', KEYS[2]))
local first = seq + 1
local refused = {}
for i = 0, (#ARGV - 4) / 4 - 1 do
  local at = 5 + i * 4
  local topics = ARGV[at + 2]
  local open = not ended[topics]
  if open and string.find(topics, ',', 1, true) then
    for topic in string.gmatch(topics, '[^,]+') do
      if ended[topic] then
        open = false
        break
      end
    end
  end
  if open then
    seq = seq + 1
    local id = string.format('%.0f', seq) .. '-0'
    if topics == '' then
      redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], id, 'e', epoch, 'n', ARGV[at], 'd', ARGV[at + 1], 'a', ARGV[at + 3])
    else
      redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], id, 'e', epoch, 'n', ARGV[at], 'd', ARGV[at + 1], 't', topics, 'a', ARGV[at + 3])
    end
    if ARGV[at] == '${END_EVENT}' and markers[topics] then
      redis.call('SET', markers[topics], epoch .. ' ' .. string.format('%.0f', seq) .. ' ' .. ARGV[at + 3] .. ' ' .. ARGV[at + 1], 'PX', ARGV[3])
      ended[topics] = true
    end
  else
    refused[#refused + 1] = i
  end
end
if seq >= first then redis.call('INCRBY', KEYS[2], string.format('%.0f', seq - first + 1)) end
return {epoch, string.format('%.0f', first), unpack(refused)}
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
