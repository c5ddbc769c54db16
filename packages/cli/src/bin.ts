#!/usr/bin/env node
import { runCli } from './cli.js'

const controller = new AbortController()
let interrupted = false
const stop = (): void => {
  // A second Ctrl-C does not wait for the stream to close.
  if (interrupted) process.exit(130)
  interrupted = true
  controller.abort()
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
// The reader went away (`tidings tail ... | head`): stop as other Unix tools do, quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(0)
})

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
}).then((code) => {
  process.exitCode = code
  // Whatever a library may still hold open (a keep-alive socket), the command is done.
  setTimeout(() => process.exit(code), 1000).unref()
})
