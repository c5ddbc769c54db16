/**
 * Runs the TypeScript code blocks of the docs, page by page and in order, in this
 * one process (started by docs.test.ts with tsx and the `@tidings/source` condition):
 *
 *   tsx --conditions=@tidings/source test/examples/run-snippets.ts <file.ts>...
 *
 * A block passes when its module evaluates without throwing and nothing it
 * started fails within a short settle time (an uncaught exception, an unhandled
 * rejection). Samples are allowed to keep running (a server, a client
 * reconnecting): this process is ended once all are done. Two guards keep them
 * on this machine: `fetch` refuses every address but loopback, and every
 * `listen` binds a free port on 127.0.0.1 instead of the one written (3000...).
 * Blocks run in a scratch working directory, so files they write go there.
 * Prints one JSON line: `{ "failures": [{ "file", "error" }] }`.
 */
import { mkdtempSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

// Files a sample writes (`asyncapi.json`...) land in a scratch folder, not the repository.
process.chdir(mkdtempSync(join(tmpdir(), 'tidings-docs-run-')))

// Long enough for what a block starts at once (a client's first status, a failed
// first connection) to fail under its name; one longer wait at the end.
const SETTLE_MS = 50
const FINAL_SETTLE_MS = 300

const failures: { file: string; error: string }[] = []
let current = '(before the first block)'
const fail = (error: unknown) => {
  failures.push({
    file: current,
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  })
}
process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)

const realFetch = globalThis.fetch
globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input))
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new TypeError(`docs test: no network beyond this machine (${url.origin})`)
  }
  return realFetch(input, init)
}) as typeof fetch

const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
  const callback = args.find((arg) => typeof arg === 'function') as (() => void) | undefined
  return listen.call(this, { port: 0, host: '127.0.0.1' }, callback)
} as typeof listen

for (const file of process.argv.slice(2)) {
  current = file
  try {
    await import(pathToFileURL(file).href)
  } catch (error) {
    fail(error)
  }
  await new Promise((done) => setTimeout(done, SETTLE_MS))
}
await new Promise((done) => setTimeout(done, FINAL_SETTLE_MS))
process.stdout.write(`\n${JSON.stringify({ failures })}\n`)
process.exit(0)
