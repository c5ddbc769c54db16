// The SSE-only entry: the run page needs no WebSocket fallback. `historyPages`
// comes from the same package and is only bundled because this page reads history.
import { createClient, type EndReason, historyPages } from '@tidings/client/sse'
import { renderStatus } from '../shared/status.js'
import { runEvents, runTopic, type StartedRun } from './contract.js'

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id)
  if (!element) throw new Error(`The page has no #${id}`)
  return element as T
}
const EVENTS_URL = new URL('/ai-run/events', location.href).href

/**
 * What this tab knows of a run, saved in sessionStorage after every event: a
 * reload renders it at once and resumes the stream from `lastEventId`, so no
 * token is fetched twice and the generator is not asked again.
 */
interface RunState {
  lastEventId: string | undefined
  total: number | undefined
  text: string
  /** The index of every token received, in order: the page checks none is missing or repeated. */
  received: number[]
  ended: EndReason | undefined
}

const key = (id: string): string => `tidings-ai-run:${id}`
const load = (id: string): RunState | undefined => {
  const text = sessionStorage.getItem(key(id))
  return text ? (JSON.parse(text) as RunState) : undefined
}
const save = (id: string, state: RunState): void =>
  sessionStorage.setItem(key(id), JSON.stringify(state))

/** Applies one event of the run, from the history or the stream, to `state`. */
function apply(state: RunState, id: string | undefined, event: string, data: unknown): void {
  state.lastEventId = id
  if (event === 'run:start') state.total = (data as { tokens: number }).tokens
  else if (event === 'run:token') {
    const token = data as { index: number; text: string }
    state.text += token.text
    state.received.push(token.index)
  } else if (event === 'tidings:end') state.ended = (data as { reason: EndReason }).reason
}

const OUTCOME: Record<string, string> = { complete: 'Complete', cancelled: 'Cancelled' }

function render(state: RunState): void {
  $('output').textContent = state.text
  const total = state.total ?? '?'
  $('progress').textContent = `${state.received.length} / ${total}`
  const inOrder = state.received.every((index, position) => index === position)
  // A run whose beginning the history no longer held shows here too (its first index is not 0).
  $('integrity').textContent = inOrder
    ? 'none missing, none repeated'
    : 'tokens missing or repeated'
  $('outcome').textContent = state.ended ? (OUTCOME[state.ended] ?? state.ended) : 'Generating…'
  $('run').dataset.ended = state.ended ?? ''
  $<HTMLButtonElement>('cancel').disabled = state.ended !== undefined
}

/** Streams the rest of run `id` from `state.lastEventId` until its end. */
function stream(id: string, state: RunState): void {
  const client = createClient(runEvents, EVENTS_URL, {
    topics: [runTopic(id)],
    lastEventId: state.lastEventId,
  })
  const onEvent = (event: string) => (data: unknown, meta: { id: string | undefined }) => {
    apply(state, meta.id, event, data)
    save(id, state)
    render(state)
  }
  client.on('run:start', onEvent('run:start'))
  client.on('run:token', onEvent('run:token'))
  client.on('tidings:end', (info) => {
    apply(state, client.lastEventId, 'tidings:end', info)
    save(id, state)
    render(state)
  })
  client.on('tidings:status', (status) => renderStatus($('status'), status))
  client.on('tidings:gap', (gap) => {
    const notice = $('gap')
    notice.textContent = `The server could not resume this run (${gap.reason}): some tokens may be missing. Open the run again to read it from the history.`
    notice.hidden = false
    sessionStorage.removeItem(key(id))
  })
  window.addEventListener('pagehide', () => client.close())
}

/** Shows run `id`: from this tab's saved state, or else from the history, then live. */
async function follow(id: string): Promise<void> {
  $('start-form').hidden = true
  $('run').hidden = false
  $<HTMLAnchorElement>('share').href = location.href
  const saved = load(id)
  if (saved) {
    $('how').textContent = saved.ended
      ? 'Shown from this tab’s saved copy: the run had ended.'
      : 'Resumed from the last event id this tab saved (no token asked for twice).'
    render(saved)
    if (!saved.ended) stream(id, saved)
    else renderStatus($('status'), { state: 'closed', reason: 'ended' })
    return
  }
  // New to this tab (a second tab, a late visit): the history first, then live from its end.
  const state: RunState = {
    lastEventId: undefined,
    total: undefined,
    text: '',
    received: [],
    ended: undefined,
  }
  for await (const page of historyPages(runEvents, EVENTS_URL, { topics: [runTopic(id)] })) {
    for (const entry of page.events) apply(state, entry.id, entry.event, entry.data)
    state.lastEventId = page.next
  }
  save(id, state)
  render(state)
  $('how').textContent = state.ended
    ? 'Replayed from the history: the run had ended, no stream was opened.'
    : 'Read from the history, then followed live.'
  if (state.ended) renderStatus($('status'), { state: 'closed', reason: 'ended' })
  else stream(id, state)
}

$('start-form').addEventListener('submit', (event) => {
  event.preventDefault()
  void (async () => {
    const prompt = $<HTMLInputElement>('prompt').value
    const response = await fetch('/ai-run/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt }),
    })
    if (response.status !== 201) throw new Error(`Starting a run failed: HTTP ${response.status}`)
    const run = (await response.json()) as StartedRun
    // In the URL: a reload, a bookmark or a second tab finds the run again.
    history.pushState(null, '', `?run=${run.id}`)
    await follow(run.id)
  })()
})

$('cancel').addEventListener('click', () => {
  const id = new URLSearchParams(location.search).get('run')
  // The end comes back on the stream, to this tab and every other one.
  if (id) void fetch(`/ai-run/runs/${id}/cancel`, { method: 'POST' })
})

const current = new URLSearchParams(location.search).get('run')
if (current && /^[0-9a-f]{12}$/.test(current)) void follow(current)
else renderStatus($('status'), { state: 'closed', reason: 'ended' })
