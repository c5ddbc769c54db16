import { execFileSync, spawnSync } from 'node:child_process'
import { createEmitter } from '@tidings/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { events } from './fixtures/contract.js'
import { COMMAND, CONTRACT, listen, ROOT, type TestServer } from './support.js'

// In a real terminal (tmux): colours on, Ctrl-C typed as a person would.

const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`

function tmuxOrFail(): void {
  if (spawnSync('tmux', ['-V']).error) {
    throw new Error(
      'The terminal tests drive tmux, which is missing: run `apt-get install -y tmux`.',
    )
  }
}

/** One tmux server per test file (its own socket), one session per terminal. */
class Terminal {
  static readonly socket = `tidings-cli-test-${process.pid}`
  readonly name: string

  constructor(name: string, command: string, env: Record<string, string>) {
    this.name = name
    const exports = Object.entries(env).map(([key, value]) => `${key}=${quote(value)}`)
    // The exit status stays on screen after the command ends.
    const script = `env -u NO_COLOR -u FORCE_COLOR ${exports.join(' ')} ${command}; echo "EXIT=$?"; sleep 600`
    this.tmux('new-session', '-d', '-s', name, '-x', '220', '-y', '50', '-c', ROOT, script)
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', Terminal.socket, ...args], { encoding: 'utf8' })
  }

  /** The screen as text, with its ANSI escapes when `escapes`. */
  screen(escapes = false): string {
    return this.tmux('capture-pane', '-p', '-J', ...(escapes ? ['-e'] : []), '-t', this.name)
  }

  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const screen = this.screen()
      if (pattern.test(screen)) return screen
      if (Date.now() > deadline) {
        throw new Error(`the terminal never showed ${pattern}; it shows:\n${screen}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys)
  }

  static stop(): void {
    spawnSync('tmux', ['-L', Terminal.socket, 'kill-server'])
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC
const ANSI = /\u001b\[[0-9;]*m/

describe('tidings tail in a terminal', () => {
  const emitter = createEmitter(events, { heartbeatMs: 60_000 })
  let server: TestServer

  beforeAll(async () => {
    tmuxOrFail()
    server = await listen((req, res) => void emitter.handle(req, res))
  })
  afterAll(async () => {
    Terminal.stop()
    await emitter.close()
    await server?.close()
  })

  const command = (...args: string[]) => [...COMMAND, 'tail', ...args].map(quote).join(' ')

  it('colours events and exits 0 on Ctrl-C', async () => {
    const terminal = new Terminal(
      'colour',
      command(`${server.url}/events`, '--contract', CONTRACT, '-t', 'orders'),
      { TERM: 'xterm-256color' },
    )
    await terminal.waitFor(/\[hello\] Tidings stream/)
    const id = emitter.to('orders').emit('order:placed', { id: 'o1', total: 3 })
    await terminal.waitFor(new RegExp(`order:placed  ${id}  \\{"id":"o1","total":3\\}`))
    const line = terminal
      .screen(true)
      .split('\n')
      .find((text) => text.includes(id))
    expect(line).toMatch(ANSI)

    terminal.keys('C-c')
    const screen = await terminal.waitFor(/EXIT=\d+/)
    expect(screen).toMatch(/\[closed\] interrupted\s*\n\s*EXIT=0/)
  })

  it('writes no colour with NO_COLOR, even on a terminal', async () => {
    const terminal = new Terminal('plain', command(`${server.url}/events`), {
      TERM: 'xterm-256color',
      NO_COLOR: '1',
    })
    await terminal.waitFor(/\[hello\] Tidings stream/)
    const id = emitter.emit('tick', { n: 7 })
    await terminal.waitFor(new RegExp(`tick  ${id}  \\{"n":7\\}`))
    expect(terminal.screen(true)).not.toMatch(ANSI)
    terminal.keys('C-c')
    expect(await terminal.waitFor(/EXIT=\d+/)).toMatch(/EXIT=0/)
  })
})
