import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

// The code blocks of a Markdown file, for the tests that compile, run or follow
// the docs. Conventions for doc authors:
//
// - A block whose first line is `// @filename: <path>` (`<!-- @filename: <path> -->`
//   in HTML) is a file of that name: later blocks of the same page import it
//   (`import { events } from './contract.js'`), and the guide test writes it.
// - An HTML comment on the last non-blank line before a fence tells the tests
//   what to do with the block; readers do not see it:
//     <!-- test: skip (why) -->        not run (shown for reading, e.g. a note)
//     <!-- test: background -->        a command that keeps running (a server, curl -N)
//     <!-- test: compile-only (why) --> type-checked but not run (needs a browser, a network...)
// - Blocks inside a blockquote (`> ` lines) count like any other.

export interface CodeBlock {
  /** The Markdown file's path. */
  readonly doc: string
  /** The fence's language (`ts`, `sh`, `html`...). */
  readonly lang: string
  /** The 1-based line of the opening fence. */
  readonly line: number
  /** The block's text, without the fences. */
  readonly code: string
  /** The file the block is, from its `@filename` first line. */
  readonly filename: string | undefined
  /** What the `<!-- test: ... -->` comment before the block says (`skip`, `background`...). */
  readonly directive: string | undefined
  /** The text after the directive, in parentheses in the comment (the reason). */
  readonly reason: string | undefined
}

const FENCE = /^(`{3,})(\S*)/
const FILENAME = /^(?:\/\/|<!--) @filename: (\S+?)(?: -->)?\s*$/
const DIRECTIVE = /^<!-- test: ([\w-]+)(?: \((.*)\))? -->$/
const QUOTE = /^(?:> ?)+/

/** Every fenced code block of a Markdown file, in order. */
export function codeBlocks(doc: string): CodeBlock[] {
  const lines = readFileSync(doc, 'utf8').split('\n')
  const blocks: CodeBlock[] = []
  let open: { fence: string; lang: string; line: number; quote: string; body: string[] } | undefined
  let previous = ''
  lines.forEach((raw, index) => {
    if (open === undefined) {
      const quote = QUOTE.exec(raw)?.[0] ?? ''
      const text = raw.slice(quote.length)
      const fence = FENCE.exec(text)
      if (fence) {
        open = { fence: fence[1]!, lang: fence[2] ?? '', line: index + 1, quote, body: [] }
      } else if (text.trim() !== '') previous = text.trim()
      return
    }
    const text = raw.startsWith(open.quote.trimEnd())
      ? raw.slice(Math.min(open.quote.length, raw.length))
      : raw
    if (text.startsWith(open.fence)) {
      const directive = DIRECTIVE.exec(previous)
      const filename = FILENAME.exec(open.body[0] ?? '')?.[1]
      blocks.push({
        doc,
        lang: open.lang,
        line: open.line,
        code: open.body.join('\n'),
        filename,
        directive: directive?.[1],
        reason: directive?.[2],
      })
      open = undefined
      previous = ''
      return
    }
    open.body.push(text)
  })
  return blocks
}

/** The shell commands of a `sh` block: one per line, comments and blank lines left out. */
export function commands(block: CodeBlock): string[] {
  return block.code
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

/**
 * Writes the blocks of a Markdown file that name a file (`@filename`) under
 * `dir`, so a test can import exactly the code the page shows. Returns the paths.
 */
export function writeDocFiles(doc: string, dir: string): string[] {
  rmSync(dir, { recursive: true, force: true })
  return codeBlocks(doc).flatMap((block) => {
    if (block.filename === undefined) return []
    const path = join(dir, block.filename)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, `${block.code}\n`)
    return [path]
  })
}
