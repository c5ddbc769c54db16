import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isTidingsError } from '@tidings/schema'
import { toAsyncAPI } from '@tidings/schema/asyncapi'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { CliError } from './errors.js'
import { loadContract } from './load-contract.js'
import { createPrinter } from './printer.js'
import { describeError, tail } from './tail.js'

/** What the command reads and writes: the process's, or a test's. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean | undefined }
  readonly stderr: { write(text: string): unknown }
  /** `NO_COLOR` and `FORCE_COLOR` are read from it. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Aborting it ends a running `tail` cleanly (the command binds it to Ctrl-C). */
  readonly signal: AbortSignal
}

const VERSION: string = (() => {
  // Both from dist/ (built) and src/ (tests), the manifest is one level up.
  try {
    const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url))
    return JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')).version
  } catch {
    return '0.0.0'
  }
})()

const collect = (value: string, previous: string[]): string[] => [...previous, value]

const header = (value: string, previous: Record<string, string>): Record<string, string> => {
  const colon = value.indexOf(':')
  const name = value.slice(0, colon).trim()
  if (colon < 1 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new InvalidArgumentError(`expected "Name: value", got ${JSON.stringify(value)}.`)
  }
  return { ...previous, [name.toLowerCase()]: value.slice(colon + 1).trim() }
}

const count = (value: string): number => {
  const number = Number(value)
  if (!Number.isInteger(number) || number < 0) {
    throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(value)}.`)
  }
  return number
}

const streamUrl = (value: string): string => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new CliError('usage', `${JSON.stringify(value)} is not a URL: give a full http(s) URL.`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError('usage', `${value} is not an http(s) URL.`)
  }
  return url.href
}

// https://no-color.org: present and not empty disables colour; FORCE_COLOR wins
// over a missing terminal, as in most Node tools.
const wantsColor = (io: CliIo): boolean => {
  if (io.env.NO_COLOR) return false
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true
  return io.stdout.isTTY === true && io.env.TERM !== 'dumb'
}

/**
 * Runs the `tidings` command with `argv` (without the `node` and script
 * arguments) and resolves with its exit status: 0 on success and on an
 * interrupted `tail`, 1 on a failure (one line on stderr saying why), 2 on a
 * usage error.
 *
 * @example
 * const controller = new AbortController()
 * process.once('SIGINT', () => controller.abort())
 * process.exitCode = await runCli(process.argv.slice(2), {
 *   stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal,
 * })
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0
  const fail = (reason: string, code = 1): void => {
    io.stderr.write(`tidings: ${reason}\n`)
    exitCode = code
  }
  const program = new Command('tidings')
    .description('Tools for Tidings streams and contracts.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(run tidings --help for usage)')

  program
    .command('tail')
    .description(
      'Follow an SSE stream (Tidings or any other) and print each event as one line, with reconnects, gaps and heartbeats.',
    )
    .argument('<url>', 'the stream, e.g. http://127.0.0.1:3000/server-time/events')
    .addOption(
      new Option('-t, --topic <topic>', 'subscribe to a topic (repeatable)')
        .argParser(collect)
        .default([], 'none'),
    )
    .option('-c, --contract <file>', 'validate payloads against the contract in this .ts/.js file')
    .option('--export <name>', 'the contract export to use when the file has several')
    .option('--last-event-id <id>', 'resume after this event id')
    .option('--replay <count>', 'on a fresh start, ask for this many recent events first', count)
    .addOption(
      new Option('-H, --header <header>', 'send a request header, "Name: value" (repeatable)')
        .argParser(header)
        .default({}, 'none'),
    )
    .option('--max-attempts <count>', 'give up after this many failed attempts in a row', count)
    .option('--json', 'print one JSON object per line (for jq)')
    .action(async (url: string, options) => {
      const target = streamUrl(url)
      const loaded = options.contract
        ? await loadContract(options.contract, options.export)
        : undefined
      const printer = createPrinter({
        json: options.json === true,
        color: !options.json && wantsColor(io),
        out: (line) => io.stdout.write(`${line}\n`),
        err: (line) => io.stderr.write(`${line}\n`),
      })
      const outcome = await tail({
        url: target,
        topics: options.topic,
        contract: loaded?.contract,
        lastEventId: options.lastEventId,
        replay: options.replay,
        headers: options.header,
        maxAttempts: options.maxAttempts,
        // A fatal error ends with one line, `tidings: <reason>`, rather than two.
        print: (record) => {
          if (options.json || record.type !== 'closed' || record.error === undefined)
            printer(record)
        },
        signal: io.signal,
      })
      if (outcome.reason !== undefined) fail(outcome.reason, outcome.exitCode)
    })

  program
    .command('asyncapi')
    .description('Print the contract as an AsyncAPI 3.0 document (JSON).')
    .argument('<contract>', 'the .ts/.js file that exports the contract')
    .option('--export <name>', 'the contract export to use when the file has several')
    .option('--title <title>', 'the API title', 'Tidings events')
    .option('--api-version <version>', 'the API version', '1.0.0')
    .option('--description <text>', 'a description of the API')
    .option('--path <path>', 'the stream path the server serves', '/events')
    .addOption(
      new Option('-t, --topic <topic>', 'a topic clients may subscribe to (repeatable)')
        .argParser(collect)
        .default([], 'none'),
    )
    .option('--server <url>', 'where the stream is served, e.g. https://api.example.com')
    .action(async (file: string, options) => {
      const { contract } = await loadContract(file, options.export)
      const document = toAsyncAPI(contract, {
        info: {
          title: options.title,
          version: options.apiVersion,
          ...(options.description && { description: options.description }),
        },
        path: options.path,
        topics: options.topic,
        ...(options.server && { server: options.server }),
      })
      io.stdout.write(`${JSON.stringify(document, null, 2)}\n`)
    })

  try {
    await program.parseAsync([...argv], { from: 'user' })
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end "with an error" too; commander has printed them already.
      return error.exitCode === 0 ? 0 : 2
    }
    if (error instanceof CliError && error.code === 'usage') fail(error.message, 2)
    // Our own errors say what to do in their message; anything else, with its causes.
    else fail(isTidingsError(error) ? error.message : describeError(error))
  }
  return exitCode
}
