import { createClient } from '@tidings/client'
import { renderStatus } from '../shared/status.js'
import {
  type ChatErrorBody,
  chatEvents,
  LOBBY,
  MAX_MESSAGE_LENGTH,
  NICKNAME_PATTERN,
  type OnlineSnapshot,
} from './contract.js'

// Every piece of user text goes through `textContent`, never `innerHTML`: a
// message reading `<script>…</script>` is shown as those characters.

const $ = <TElement extends HTMLElement = HTMLElement>(id: string): TElement => {
  const element = document.getElementById(id)
  if (!element) throw new Error(`The page has no #${id}`)
  return element as TElement
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })
const NICK_KEY = 'tidings-chat-nick'

function show(element: HTMLElement, text: string): void {
  element.textContent = text
  element.hidden = false
}

function start(nick: string): void {
  $('join').hidden = true
  $('chat').hidden = false
  $('me').textContent = nick

  const list = $('messages')
  const nearBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 48
  const append = (item: HTMLLIElement) => {
    const stick = nearBottom()
    list.querySelector('.empty')?.remove()
    list.append(item)
    if (stick) list.scrollTop = list.scrollHeight
  }

  let onlineRev = -1
  const renderOnline = (online: readonly string[], rev: number) => {
    if (rev <= onlineRev) return // an older snapshot (a replayed event, or a slow fetch)
    onlineRev = rev
    const people = $('online')
    people.replaceChildren(
      ...online.map((name) => {
        const item = document.createElement('li')
        item.textContent = name
        if (name === nick) item.className = 'me'
        return item
      }),
    )
    $('online-count').textContent = String(online.length)
  }

  const streamUrl = new URL('/chat/events', location.href)
  streamUrl.searchParams.set('nick', nick)
  // `replay: 50` fills the room with the 50 latest events of the emitter's history
  // on the first connection; reconnections resume from the last id instead.
  const client = createClient(chatEvents, streamUrl.href, { topics: [LOBBY], replay: 50 })

  client.on('chat:message', (message, meta) => {
    const item = document.createElement('li')
    item.className = message.user === nick ? 'message mine' : 'message'
    if (meta.id !== undefined) item.dataset.id = meta.id
    const when = document.createElement('span')
    when.className = 'when'
    when.textContent = timeFormat.format(new Date(message.sentAt))
    const who = document.createElement('span')
    who.className = 'who'
    who.textContent = message.user
    const text = document.createElement('span')
    text.className = 'text'
    text.textContent = message.text
    item.append(when, who, text)
    append(item)
  })

  client.on('chat:presence', (presence, meta) => {
    const item = document.createElement('li')
    item.className = 'presence'
    if (meta.id !== undefined) item.dataset.id = meta.id
    item.textContent = `${presence.user} ${presence.kind === 'join' ? 'joined' : 'left'}`
    append(item)
    renderOnline(presence.online, presence.rev)
  })

  client.on('tidings:status', (status) => renderStatus($('status'), status))

  client.on('tidings:gap', (gap) => {
    // A restarted server starts a new history: its presence revisions start over too.
    onlineRev = -1
    void refreshOnline()
    show(
      $('gap'),
      gap.reason === 'other-epoch'
        ? 'The server restarted: messages sent while you were away are not shown.'
        : `Some messages may be missing (${gap.reason}): the server no longer had them.`,
    )
  })

  const refreshOnline = async () => {
    const response = await fetch('/chat/online')
    if (!response.ok) return
    const snapshot = (await response.json()) as OnlineSnapshot
    renderOnline(snapshot.online, snapshot.rev)
  }
  void refreshOnline()

  const textarea = $<HTMLTextAreaElement>('text')
  const counter = $('counter')
  const sendButton = $<HTMLButtonElement>('send')
  const sendError = $('send-error')
  const updateCounter = () => {
    const length = textarea.value.length
    counter.textContent = `${length} / ${MAX_MESSAGE_LENGTH}`
    counter.classList.toggle('over', length > MAX_MESSAGE_LENGTH)
  }
  textarea.addEventListener('input', updateCounter)

  let sending = false
  const send = async () => {
    const text = textarea.value
    if (sending || text.trim() === '') return
    sending = true
    sendButton.disabled = true
    try {
      const postUrl = new URL('/chat/messages', location.href)
      postUrl.searchParams.set('nick', nick)
      const response = await fetch(postUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text }),
      })
      if (response.ok) {
        textarea.value = ''
        updateCounter()
        sendError.hidden = true
      } else {
        const body = (await response.json().catch(() => undefined)) as ChatErrorBody | undefined
        show(sendError, body?.error.message ?? `The server answered ${response.status}.`)
      }
    } catch {
      show(sendError, 'Could not reach the server; your message was not sent.')
    } finally {
      sending = false
      sendButton.disabled = false
      textarea.focus()
    }
  }
  $('send-form').addEventListener('submit', (event) => {
    event.preventDefault()
    void send()
  })
  textarea.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault()
      void send()
    }
  })
  textarea.focus()

  window.addEventListener('pagehide', () => client.close())
}

const joinForm = $<HTMLFormElement>('join-form')
joinForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const nick = $<HTMLInputElement>('nick').value.trim()
  if (!NICKNAME_PATTERN.test(nick)) {
    show($('join-error'), 'A nickname is 1 to 24 letters, digits, "_", "." or "-".')
    return
  }
  sessionStorage.setItem(NICK_KEY, nick)
  start(nick)
})

const initial = new URLSearchParams(location.search).get('nick') ?? sessionStorage.getItem(NICK_KEY)
if (initial !== null && NICKNAME_PATTERN.test(initial)) start(initial)
else $<HTMLInputElement>('nick').focus()
