import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { EventSource } from 'eventsource'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tokensFor } from '../../examples/ai-run/generator.js'
import { type Demo, startDemo } from '../../examples/demo.js'
import { ARTIFACTS_DIR, launchChromium } from '../support/chromium.js'
import { freePort } from '../support/net.js'

// The run example end to end: a reload mid-run, a second tab, cancel and a
// late visit in headless Chromium, each checked against the server's counts
// (the generator ran once, how many streams and history reads it served); then
// a plain EventSource, which must see the end and stop.

const SHOTS = join(ARTIFACTS_DIR, 'examples')
const PROMPT = 'How do streams end?'
const TOKENS = tokensFor(PROMPT)
// Slow enough that a reload lands mid-run on a loaded machine: the run takes
// TOKENS.length * TOKEN_MS (about 4 s); the test checks it did land mid-run.
const TOKEN_MS = 70
const WAIT = { timeout: 30_000 }

interface SavedRun {
  lastEventId: string
  total: number
  text: string
  received: number[]
  ended: string | undefined
}

describe('the ai-run page', () => {
  let demo: Demo
  let browser: { context: BrowserContext; close: () => Promise<void> }
  // The run the first test generated, for the late visit.
  let finishedRun: string | undefined

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    demo = await startDemo({ port: await freePort(), runTokenMs: TOKEN_MS })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await demo?.close()
  })

  const watchErrors = (page: Page): string[] => {
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${message.text()} ${message.location().url}`)
    })
    return errors
  }
  const received = async (page: Page): Promise<number> =>
    Number((await page.locator('#progress').textContent())?.split(' / ')[0])
  const saved = (page: Page): Promise<SavedRun> =>
    page.evaluate(() => {
      const id = new URLSearchParams(location.search).get('run')
      return JSON.parse(sessionStorage.getItem(`tidings-ai-run:${id}`) ?? 'null')
    })
  const startRun = async (page: Page): Promise<string> => {
    await page.goto(new URL('ai-run/', demo.url).href)
    await page.locator('#prompt').fill(PROMPT)
    await page.locator('#start').click()
    await page.waitForURL(/\?run=[0-9a-f]{12}$/, WAIT)
    return new URL(page.url()).searchParams.get('run') as string
  }

  it('survives a reload mid-run: every token shows once, and the generator ran once', async () => {
    const before = demo.runStats()
    const page = await browser.context.newPage()
    const errors = watchErrors(page)
    const run = await startRun(page)
    await page.waitForFunction(
      () => Number(document.getElementById('progress')?.textContent?.split(' / ')[0]) >= 3,
      undefined,
      WAIT,
    )
    await page.reload()
    // The reload landed mid-run: the page had fewer tokens than the run, and no end.
    const afterReload = await saved(page)
    expect(afterReload.ended).toBeUndefined()
    expect(afterReload.received.length).toBeLessThan(TOKENS.length)
    await page.waitForSelector('#run[data-ended="complete"]', WAIT)

    const state = await saved(page)
    expect(state.received).toEqual(TOKENS.map((_, index) => index))
    expect(state.text).toBe(TOKENS.join(''))
    expect(await page.locator('#output').textContent()).toBe(TOKENS.join(''))
    expect(await page.locator('#integrity').textContent()).toBe('none missing, none repeated')
    expect(await page.locator('#how').textContent()).toContain('Resumed from the last event id')
    await page.waitForSelector('#status[data-state="closed"]', WAIT)
    expect(await page.locator('#status .status-text').textContent()).toBe('Ended')

    const after = demo.runStats()
    expect(after.runsStarted - before.runsStarted).toBe(1)
    expect(after.tokensEmitted - before.tokensEmitted).toBe(TOKENS.length)
    // One history read (the new run), one stream before the reload and one after it.
    expect(after.historyRequests - before.historyRequests).toBe(1)
    expect(after.streamRequests - before.streamRequests).toBe(2)
    await page.screenshot({ path: join(SHOTS, 'ai-run-after-reload.png'), fullPage: true })
    expect(errors).toEqual([])
    await page.close()
    finishedRun = run
  })

  it('lets a second tab follow the same run: history first, then live', async () => {
    const before = demo.runStats()
    const first = await browser.context.newPage()
    await startRun(first)
    await first.waitForFunction(
      () => Number(document.getElementById('progress')?.textContent?.split(' / ')[0]) >= 3,
      undefined,
      WAIT,
    )
    const second = await browser.context.newPage()
    const errors = watchErrors(second)
    await second.goto(first.url())
    await second.waitForSelector('#run[data-ended="complete"]', WAIT)
    await first.waitForSelector('#run[data-ended="complete"]', WAIT)
    for (const page of [first, second]) {
      const state = await saved(page)
      expect(state.received).toEqual(TOKENS.map((_, index) => index))
      expect(state.text).toBe(TOKENS.join(''))
    }
    expect(await second.locator('#how').textContent()).toBe(
      'Read from the history, then followed live.',
    )
    const after = demo.runStats()
    expect(after.runsStarted - before.runsStarted).toBe(1)
    expect(after.tokensEmitted - before.tokensEmitted).toBe(TOKENS.length)
    expect(errors).toEqual([])
    await first.close()
    await second.close()
  })

  it('cancels a run in every tab: the end says cancelled and the generator stops', async () => {
    const before = demo.runStats()
    const first = await browser.context.newPage()
    await startRun(first)
    const second = await browser.context.newPage()
    await second.goto(first.url())
    await second.waitForFunction(
      () => Number(document.getElementById('progress')?.textContent?.split(' / ')[0]) >= 2,
      undefined,
      WAIT,
    )
    await first.locator('#cancel').click()
    for (const page of [first, second]) {
      await page.waitForSelector('#run[data-ended="cancelled"]', WAIT)
      expect(await page.locator('#outcome').textContent()).toBe('Cancelled')
      expect(await page.locator('#cancel').isDisabled()).toBe(true)
    }
    const emitted = demo.runStats().tokensEmitted - before.tokensEmitted
    expect(emitted).toBeLessThan(TOKENS.length)
    // Both tabs hold exactly the tokens generated before the cancel, once each.
    for (const page of [first, second]) {
      const state = await saved(page)
      expect(state.received).toEqual(TOKENS.slice(0, emitted).map((_, index) => index))
      expect(await received(page)).toBe(emitted)
    }
    await first.screenshot({ path: join(SHOTS, 'ai-run-cancelled.png'), fullPage: true })
    await first.close()
    await second.close()
  })

  it('replays a finished run from the history on a late visit, without opening a stream', async () => {
    expect(finishedRun).toBeDefined()
    const before = demo.runStats()
    const page = await browser.context.newPage()
    const errors = watchErrors(page)
    await page.goto(new URL(`ai-run/?run=${finishedRun}`, demo.url).href)
    await page.waitForSelector('#run[data-ended="complete"]', WAIT)
    expect(await page.locator('#output').textContent()).toBe(TOKENS.join(''))
    expect(await page.locator('#how').textContent()).toContain('Replayed from the history')
    const after = demo.runStats()
    expect(after.streamRequests - before.streamRequests).toBe(0)
    expect(after.historyRequests - before.historyRequests).toBeGreaterThanOrEqual(1)
    expect(after.runsStarted).toBe(before.runsStarted)
    expect(errors).toEqual([])
    await page.close()
  })
})

describe('a plain EventSource on a run', () => {
  let demo: Demo

  beforeAll(async () => {
    demo = await startDemo({ port: await freePort(), runTokenMs: 5 })
  })
  afterAll(async () => {
    await demo?.close()
  })

  it('sees every token and the end once, then stops: one reconnect, answered 204', async () => {
    const before = demo.runStats()
    const response = await fetch(new URL('ai-run/runs', demo.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: PROMPT }),
    })
    expect(response.status).toBe(201)
    const { topic } = (await response.json()) as { topic: string }
    // `replay` (at most the server's maxReplay, 100, more than a run holds) covers what was generated before the EventSource connected.
    const url = new URL(`ai-run/events?topic=${topic}&replay=100`, demo.url)
    const source = new EventSource(url)
    const tokens: number[] = []
    const ends: unknown[] = []
    const errors: Array<number | undefined> = []
    source.addEventListener('run:token', (event) => tokens.push(JSON.parse(event.data).index))
    source.addEventListener('tidings:end', (event) => ends.push(JSON.parse(event.data)))
    source.addEventListener('error', (event) => errors.push(event.code))
    try {
      // The server closes the stream after the end; the EventSource reconnects
      // once, as the standard says, with the end's id, and the 204 stops it.
      const deadline = Date.now() + 30_000
      while (source.readyState !== EventSource.CLOSED && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(source.readyState).toBe(EventSource.CLOSED)
      expect(ends).toEqual([{ topic, reason: 'complete' }])
      expect(tokens).toEqual(TOKENS.map((_, index) => index))
      expect(errors.at(-1)).toBe(204)
      expect(demo.runStats().streamRequests - before.streamRequests).toBe(2)
    } finally {
      source.close()
    }
  })
})
