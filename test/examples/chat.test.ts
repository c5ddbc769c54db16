import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../../examples/demo.js'
import { ARTIFACTS_DIR, launchChromium } from '../support/chromium.js'
import { freePort } from '../support/net.js'

const SHOTS = join(ARTIFACTS_DIR, 'examples')
const WAIT = { timeout: 20_000 }

type Browser = { context: BrowserContext; close: () => Promise<void> }

/** The texts of the chat messages a page shows, in order. */
const messageTexts = (page: Page) => page.locator('#messages li.message .text').allTextContents()

/** The ids of the chat messages a page shows, in order. */
const messageIds = (page: Page) =>
  page
    .locator('#messages li.message')
    .evaluateAll((items) => items.map((item) => item.getAttribute('data-id') ?? ''))

/** Waits until the page shows a message with exactly this text. */
const waitForMessage = (page: Page, text: string) =>
  page.waitForFunction(
    (expected) =>
      [...document.querySelectorAll('#messages li.message .text')].some(
        (node) => node.textContent === expected,
      ),
    text,
    WAIT,
  )

/** Waits until the page's online list is exactly `names`. */
const waitForOnline = (page: Page, names: string[]) =>
  page.waitForFunction(
    (expected) =>
      JSON.stringify(
        [...document.querySelectorAll('#online li')].map((node) => node.textContent),
      ) === JSON.stringify(expected),
    names,
    WAIT,
  )

/** Posts a message from the page as its user would (the page's own nickname), resolving to the status. */
const post = (page: Page, nick: string, text: string) =>
  page.evaluate(
    async ({ nick, text }) => {
      const response = await fetch(`/chat/messages?nick=${encodeURIComponent(nick)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text }),
      })
      return response.status
    },
    { nick, text },
  )

/** Types into the composer and presses Enter, then waits for the composer to clear or show an error. */
async function send(page: Page, text: string): Promise<void> {
  await page.locator('#text').fill(text)
  await page.locator('#text').press('Enter')
  await page.waitForFunction(
    () =>
      (document.getElementById('text') as HTMLTextAreaElement).value === '' ||
      !document.getElementById('send-error')?.hidden,
    undefined,
    WAIT,
  )
}

/**
 * Collects uncaught exceptions and console errors (a Content-Security-Policy
 * violation is one), but not the browser's own "Failed to load resource" lines
 * for the 4xx answers and the cut stream these tests cause on purpose.
 */
function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      errors.push(message.text())
    }
  })
}

describe('chat: two people in the lobby', () => {
  let demo: Demo
  let ada: Browser
  let bob: Browser
  let adaPage: Page
  let bobPage: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    demo = await startDemo({
      port: await freePort(),
      chat: { presenceGraceMs: 500, rateLimit: { max: 100, windowMs: 1000 } },
    })
    // Two browsers with separate profiles: two people, nothing shared.
    ;[ada, bob] = await Promise.all([launchChromium(), launchChromium()])
    adaPage = await ada.context.newPage()
    bobPage = await bob.context.newPage()
    for (const page of [adaPage, bobPage]) watchErrors(page, pageErrors)
  })

  afterAll(async () => {
    await Promise.all([ada?.close(), bob?.close()])
    await demo?.close()
  })

  it('joins with a nickname and sees who is online', async () => {
    await adaPage.goto(new URL('chat/', demo.url).href)
    await adaPage.screenshot({ path: join(SHOTS, 'chat-join.png'), fullPage: true })
    await adaPage.locator('#nick').fill('ada')
    await adaPage.locator('#join-form button').click()
    await adaPage.waitForSelector('#status[data-state="open"]', WAIT)
    await waitForOnline(adaPage, ['ada'])

    await bobPage.goto(new URL('chat/?nick=bob', demo.url).href)
    await bobPage.waitForSelector('#status[data-state="open"]', WAIT)
    await waitForOnline(bobPage, ['ada', 'bob'])
    await waitForOnline(adaPage, ['ada', 'bob'])
    // Ada saw Bob arrive as it happened.
    await adaPage.waitForFunction(
      () =>
        [...document.querySelectorAll('#messages li.presence')].some(
          (node) => node.textContent === 'bob joined',
        ),
      undefined,
      WAIT,
    )
  })

  it('delivers messages both ways', async () => {
    await send(adaPage, 'hello bob')
    await waitForMessage(bobPage, 'hello bob')
    await send(bobPage, 'hi ada, multi\nline')
    await waitForMessage(adaPage, 'hi ada, multi\nline')
    expect(await messageTexts(adaPage)).toEqual(['hello bob', 'hi ada, multi\nline'])
    expect(await messageTexts(bobPage)).toEqual(['hello bob', 'hi ada, multi\nline'])
  })

  it('renders HTML in messages as text', async () => {
    const hostile =
      '<script>window.pwned = true</script><img src=x onerror="window.pwned = true"><b>bold</b>'
    await send(adaPage, hostile)
    await waitForMessage(bobPage, hostile)
    expect(await bobPage.evaluate(() => (window as { pwned?: boolean }).pwned)).toBeUndefined()
    expect(await bobPage.locator('#messages script, #messages img, #messages b').count()).toBe(0)
    expect(await bobPage.locator('#messages li.message .text').last().textContent()).toBe(hostile)
    await bobPage.screenshot({ path: join(SHOTS, 'chat-html-as-text.png'), fullPage: true })
  })

  it('shows every message exactly once, in order, after a server-side drop', async () => {
    // Record the states Ada's status indicator goes through.
    await adaPage.evaluate(() => {
      const states: string[] = []
      ;(window as { states?: string[] }).states = states
      const status = document.getElementById('status')!
      new MutationObserver(() => states.push(status.dataset.state ?? '')).observe(status, {
        attributes: true,
        attributeFilter: ['data-state'],
      })
    })

    const sent: string[] = []
    for (let i = 1; i <= 3; i++) {
      sent.push(`before drop ${i}`)
      expect(await post(bobPage, 'bob', `before drop ${i}`)).toBe(201)
    }
    expect(demo.dropChatConnections('ada')).toBeGreaterThan(0)
    for (let i = 1; i <= 8; i++) {
      const text = `during drop ${i}`
      sent.push(text)
      // Ada posts too while her stream is down: the POST does not need the stream.
      expect(await post(i % 4 === 0 ? adaPage : bobPage, i % 4 === 0 ? 'ada' : 'bob', text)).toBe(
        201,
      )
    }

    await adaPage.waitForFunction(
      () => ((window as { states?: string[] }).states ?? []).includes('reconnecting'),
      undefined,
      WAIT,
    )
    await adaPage.waitForSelector('#status[data-state="open"]', WAIT)
    // A last message after the reconnection: anything a replay repeated would come before it.
    sent.push('after reconnect')
    expect(await post(bobPage, 'bob', 'after reconnect')).toBe(201)
    await waitForMessage(adaPage, 'after reconnect')

    // Bob's stream never dropped: his page is the reference.
    const texts = await messageTexts(adaPage)
    expect(texts.slice(-sent.length)).toEqual(sent)
    expect(texts).toEqual(await messageTexts(bobPage))
    const ids = await messageIds(adaPage)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual(await messageIds(bobPage))
    // Resumed, not restarted: no "messages may be missing" notice.
    expect(await adaPage.locator('#gap').isHidden()).toBe(true)

    await adaPage.screenshot({ path: join(SHOTS, 'chat-ada.png'), fullPage: true })
    await bobPage.screenshot({ path: join(SHOTS, 'chat-bob.png'), fullPage: true })
  })

  it('shows recent history to someone who joins later', async () => {
    const page = await bob.context.newPage()
    await page.setViewportSize({ width: 390, height: 844 }) // and a phone-sized layout
    await page.goto(new URL('chat/?nick=cy', demo.url).href)
    await waitForMessage(page, 'after reconnect')
    expect(await messageTexts(page)).toEqual(await messageTexts(bobPage))
    await waitForOnline(page, ['ada', 'bob', 'cy'])
    await page.screenshot({ path: join(SHOTS, 'chat-phone.png'), fullPage: true })
    await page.close()
  })

  it('shows people leaving', async () => {
    await bobPage.goto('about:blank')
    await waitForOnline(adaPage, ['ada'])
    expect(pageErrors).toEqual([])
  })
})

describe('chat: limits', () => {
  let demo: Demo
  let browser: Browser

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    demo = await startDemo({
      port: await freePort(),
      chat: { rateLimit: { max: 3, windowMs: 60_000 } },
    })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await demo?.close()
  })

  it('refuses a message over 2000 characters with a clear error', async () => {
    const page = await browser.context.newPage()
    await page.goto(new URL('chat/?nick=dee', demo.url).href)
    await page.waitForSelector('#status[data-state="open"]', WAIT)

    const status = await post(page, 'dee', 'x'.repeat(2001))
    expect(status).toBe(400)
    await send(page, 'y'.repeat(2001))
    expect(await page.locator('#send-error').textContent()).toBe(
      'Message is too long: at most 2000 characters.',
    )
    expect(await page.locator('#counter').getAttribute('class')).toContain('over')
    await page.close()
  })

  it('refuses a fourth message in the window with 429 and says when to retry', async () => {
    const page = await browser.context.newPage()
    await page.goto(new URL('chat/?nick=eve', demo.url).href)
    await page.waitForSelector('#status[data-state="open"]', WAIT)
    for (let i = 1; i <= 3; i++) {
      await send(page, `message ${i}`)
      await waitForMessage(page, `message ${i}`)
    }
    await send(page, 'one too many')
    const error = await page.locator('#send-error').textContent()
    expect(error).toMatch(/^Slow down: at most 3 messages every 60 s\. Try again in \d+ s\.$/)
    expect(await post(page, 'eve', 'again')).toBe(429)
    await page.screenshot({ path: join(SHOTS, 'chat-rate-limited.png'), fullPage: true })
    await page.close()
  })
})
