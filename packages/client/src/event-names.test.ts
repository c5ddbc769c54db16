import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { expect, it } from 'vitest'

// What a user sees: the compiler's message for a misspelled event name must list the
// names `on` accepts, not an alias such as `ClientEventName<Contract<{...}>>`.
const here = dirname(fileURLToPath(import.meta.url))
const snippetPath = join(here, '__misspelled__.ts')
const snippet = `
import { defineEvents } from '@tidings/schema'
import { z } from 'zod'
import { createClient } from './index.js'
const events = defineEvents({
  'server-time': z.object({ time: z.number() }),
  'chat:message': z.object({ text: z.string() }),
})
createClient(events, '/events').on('server-tme', () => {})
`

function diagnose(): string[] {
  const configPath = join(here, '..', 'tsconfig.json')
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
      },
    },
  )
  if (!config) throw new Error(`cannot read ${configPath}`)
  const host = ts.createCompilerHost(config.options)
  const getSourceFile = host.getSourceFile
  host.getSourceFile = (fileName, language, ...rest) =>
    fileName === snippetPath
      ? ts.createSourceFile(fileName, snippet, language)
      : getSourceFile.call(host, fileName, language, ...rest)
  const fileExists = host.fileExists
  host.fileExists = (fileName) => fileName === snippetPath || fileExists.call(host, fileName)
  const program = ts.createProgram([snippetPath], { ...config.options, noEmit: true }, host)
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(snippetPath))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
}

it('lists the valid event names in the error for a misspelled one', () => {
  const messages = diagnose()
  expect(messages).toHaveLength(1)
  const [message = ''] = messages
  expect(message).toContain('"server-tme"')
  for (const name of [
    'server-time',
    'chat:message',
    'tidings:status',
    'tidings:error',
    'tidings:gap',
  ]) {
    expect(message).toContain(`"${name}"`)
  }
  expect(message).not.toContain('ClientEventName')
}, 60_000)
