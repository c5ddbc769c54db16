import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { ARTIFACTS_DIR } from '../support/chromium.js'

// Every ```ts (and ```tsx) block of the docs and the README is type-checked here, with the
// repository's compiler options, against the packages' sources: a doc that
// shows an API that does not exist (or no longer does) fails the suite.
//
// Conventions for doc authors:
// - each block is its own module;
// - a block whose first line is `// @filename: <name>.ts` is written under that
//   name, so later blocks of the same Markdown file can import it
//   (`import { events } from './contract.js'`).

const ROOT = resolve(import.meta.dirname, '..', '..')
const OUT = join(ARTIFACTS_DIR, 'docs-snippets')
const FILENAME = /^\/\/ @filename: ([\w.-]+\.tsx?)\s*$/

interface Snippet {
  readonly doc: string
  readonly line: number
  readonly file: string
  readonly code: string
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return markdownFiles(path)
    return entry.name.endsWith('.md') ? [path] : []
  })
}

const docs = [
  join(ROOT, 'README.md'),
  ...markdownFiles(join(ROOT, 'docs')),
  ...markdownFiles(join(ROOT, 'examples')),
]

function extract(doc: string): Snippet[] {
  const lines = readFileSync(doc, 'utf8').split('\n')
  const name = relative(ROOT, doc).replace(/[\\/]/g, '__').replace(/\.md$/, '')
  const snippets: Snippet[] = []
  let open: { lang: string; start: number; body: string[] } | undefined
  lines.forEach((text, index) => {
    if (open === undefined) {
      const fence = /^```(\S*)/.exec(text)
      if (fence) open = { lang: fence[1] ?? '', start: index + 1, body: [] }
      return
    }
    if (text.startsWith('```')) {
      if (open.lang === 'ts' || open.lang === 'typescript' || open.lang === 'tsx') {
        const first = FILENAME.exec(open.body[0] ?? '')
        const extension = open.lang === 'tsx' ? 'tsx' : 'ts'
        const file = first?.[1] ?? `block-${snippets.length + 1}-line-${open.start}.${extension}`
        snippets.push({
          doc,
          line: open.start,
          file: join(OUT, name, file),
          code: open.body.join('\n'),
        })
      }
      open = undefined
      return
    }
    open.body.push(text)
  })
  return snippets
}

const snippets = docs.flatMap(extract)

/** The anchors GitHub gives a Markdown file's headings. */
function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '')
  const slugs = new Set<string>()
  for (const match of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = match[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    slugs.add(slug)
  }
  return slugs
}

function compilerOptions(): ts.CompilerOptions {
  const path = join(ROOT, 'tsconfig.base.json')
  const { config, error } = ts.readConfigFile(path, ts.sys.readFile)
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, path)
  return { ...parsed.options, noEmit: true, moduleDetection: ts.ModuleDetectionKind.Force }
}

describe('docs', () => {
  it('has the pages the guide links to', () => {
    for (const page of [
      'docs/guide/getting-started.md',
      'docs/guide/concepts.md',
      'docs/guide/deploying.md',
      'docs/guide/security.md',
      'docs/reference/server.md',
      'docs/reference/client.md',
      'docs/protocol.md',
      'docs/faq.md',
    ]) {
      expect(existsSync(join(ROOT, page)), page).toBe(true)
    }
  })

  it('links only to files and headings that exist', () => {
    const broken: string[] = []
    for (const doc of docs) {
      const text = readFileSync(doc, 'utf8').replace(/```[\s\S]*?```/g, '')
      for (const match of text.matchAll(/\]\(([^)\s#]*)(?:#([^)\s]*))?\)/g)) {
        const target = match[1]!
        const anchor = match[2]
        if (/^[a-z]+:/i.test(target)) continue
        const file = target === '' ? doc : resolve(dirname(doc), target)
        if (!existsSync(file)) broken.push(`${relative(ROOT, doc)} -> ${target}`)
        else if (anchor && file.endsWith('.md') && !anchors(file).has(anchor)) {
          broken.push(`${relative(ROOT, doc)} -> ${target}#${anchor}`)
        }
      }
    }
    expect(broken).toEqual([])
  })

  it('lists only types the packages export', () => {
    const stale: string[] = []
    for (const pkg of ['server', 'client']) {
      const index = readFileSync(join(ROOT, 'packages', pkg, 'src', 'index.ts'), 'utf8')
      const exported = new Set(index.match(/[A-Za-z_]\w*/g))
      const doc = readFileSync(join(ROOT, 'docs', 'reference', `${pkg}.md`), 'utf8')
      const types = doc.split(/^## Types$/m)[1] ?? ''
      for (const row of types.split('\n').filter((line) => line.startsWith('| `'))) {
        for (const [, name] of row.split('|')[1]!.matchAll(/`([A-Za-z_]\w*)/g)) {
          if (!exported.has(name!)) stale.push(`docs/reference/${pkg}.md: ${name}`)
        }
      }
    }
    expect(stale).toEqual([])
  })

  it('keeps the README commands true', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    expect(readme).toContain('npm install && npm run demo')
    expect(readme).toContain('npm test')
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<
      string,
      string
    >
    expect(scripts.demo).toContain('examples/demo.ts')
    expect(scripts.test).toBeDefined()
  })

  it('has TypeScript code blocks to check', () => {
    expect(snippets.length).toBeGreaterThan(10)
  })

  it('compiles every TypeScript code block', () => {
    rmSync(OUT, { recursive: true, force: true })
    for (const snippet of snippets) {
      mkdirSync(dirname(snippet.file), { recursive: true })
      writeFileSync(snippet.file, `${snippet.code}\n`)
    }
    const program = ts.createProgram(
      snippets.map((snippet) => snippet.file),
      compilerOptions(),
    )
    const bySource = new Map(snippets.map((snippet) => [resolve(snippet.file), snippet]))
    const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      const source = diagnostic.file ? bySource.get(resolve(diagnostic.file.fileName)) : undefined
      if (!diagnostic.file || diagnostic.start === undefined) return message
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
      // The block's first code line is one below its opening fence.
      const where = source
        ? `${relative(ROOT, source.doc)}:${source.line + 1 + line}`
        : relative(ROOT, diagnostic.file.fileName)
      return `${where}: ${message}`
    })
    expect(problems).toEqual([])
  })
})
