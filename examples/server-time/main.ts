// The SSE-only entry: the clock needs no WebSocket fallback, and leaving it out
// keeps the page's JavaScript under 12 KB (the chat shows the full client).
import { createClient } from '@tidings/client/sse'
import { renderStatus } from '../shared/status.js'
import { clockEvents } from './contract.js'

const $ = (id: string): HTMLElement => {
  const element = document.getElementById(id)
  if (!element) throw new Error(`The page has no #${id}`)
  return element
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full' })

// `replay: 1` asks for the latest retained event, so the clock shows a time at once.
const client = createClient(clockEvents, new URL('/server-time/events', location.href).href, {
  replay: 1,
})

let count = 0
client.on('server-time', ({ time }, meta) => {
  count += 1
  const date = new Date(time)
  $('time').textContent = timeFormat.format(date)
  $('date').textContent = dateFormat.format(date)
  $('count').textContent = String(count)
  $('event-id').textContent = meta.id ?? '–'
})

client.on('tidings:status', (status) => renderStatus($('status'), status))

client.on('tidings:gap', (gap) => {
  const notice = $('gap')
  const why =
    gap.reason === 'other-epoch'
      ? 'The server restarted while this page was away'
      : 'The server no longer had the events this page missed'
  notice.textContent = `${why} (${gap.reason}): showing live time from now on.`
  notice.hidden = false
})

window.addEventListener('pagehide', () => client.close())
