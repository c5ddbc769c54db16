import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'
import { ARTIFACTS_DIR } from '../support/chromium.js'
import { type CodeBlock, codeBlocks } from '../support/markdown.js'

// Every ```ts (and ```tsx) block of the docs and the README is type-checked here, with the
// repository's compiler options, against the packages' sources, then run: a
// doc that shows an API that does not exist (or no longer does), or code that
// throws, fails the suite. Conventions for doc authors (test/support/markdown.ts):
// - each block is its own module;
// - a block whose first line is `// @filename: <path>.ts` is written under that
//   name, so later blocks of the same Markdown file can import it
//   (`import { events } from './contract.js'`);
// - `<!-- test: compile-only (why) -->` on the line before a block type-checks it
//   without running it: browser code (`document`, `EventSource`), files it needs.

const ROOT = resolve(import.meta.dirname, '..', '..')
const OUT = join(ARTIFACTS_DIR, 'docs-snippets')

interface Snippet extends CodeBlock {
  /** Where the block is written to be compiled and run. */
  readonly file: string
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
// The packages' READMEs (what npm shows) are link-checked; their samples are fragments.
const packageReadmes = readdirSync(join(ROOT, 'packages')).map((name) =>
  join(ROOT, 'packages', name, 'README.md'),
)

function extract(doc: string): Snippet[] {
  const name = relative(ROOT, doc).replace(/[\\/]/g, '__').replace(/\.md$/, '')
  return codeBlocks(doc)
    .filter((block) => ['ts', 'typescript', 'tsx'].includes(block.lang))
    .map((block, index) => ({
      ...block,
      file: join(
        OUT,
        name,
        block.filename ??
          `block-${index + 1}-line-${block.line}.${block.lang === 'tsx' ? 'tsx' : 'ts'}`,
      ),
    }))
}

const snippets = docs.flatMap(extract)
const runnable = snippets.filter(
  (snippet) => snippet.directive !== 'compile-only' && snippet.directive !== 'skip',
)

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

/** Runs blocks in order in one child process (see run-snippets.ts); resolves with the failures. */
function runSnippets(files: string[]): Promise<{ file: string; error: string }[]> {
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx')
  const runner = join(ROOT, 'test', 'examples', 'run-snippets.ts')
  return new Promise((done, fail) => {
    execFile(
      tsx,
      ['--conditions=@tidings/source', runner, ...files],
      { cwd: ROOT, timeout: 60_000, maxBuffer: 8 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const last = stdout.trim().split('\n').at(-1) ?? ''
        try {
          done((JSON.parse(last) as { failures: { file: string; error: string }[] }).failures)
        } catch {
          fail(new Error(`the snippet runner failed: ${error?.message}\n${stdout}\n${stderr}`))
        }
      },
    )
  })
}

describe('docs', () => {
  beforeAll(() => {
    rmSync(OUT, { recursive: true, force: true })
    for (const snippet of snippets) {
      mkdirSync(dirname(snippet.file), { recursive: true })
      writeFileSync(snippet.file, `${snippet.code}\n`)
    }
  })

  it('has the pages the guide links to', () => {
    for (const page of [
      'docs/guide/getting-started.md',
      'docs/guide/concepts.md',
      'docs/guide/deploying.md',
      'docs/guide/security.md',
      'docs/guide/streaming-ai-responses.md',
      'docs/reference/server.md',
      'docs/reference/client.md',
      'docs/protocol.md',
      'docs/faq.md',
      'docs/guide/validators.md',
      'docs/recipes/README.md',
      'docs/recipes/express.md',
      'docs/recipes/fastify.md',
      'docs/recipes/hono.md',
      'docs/recipes/nextjs.md',
      'docs/recipes/fetch-runtimes.md',
      'docs/recipes/snapshot-then-stream.md',
      'docs/recipes/cross-origin.md',
    ]) {
      expect(existsSync(join(ROOT, page)), page).toBe(true)
    }
  })

  it('links only to files and headings that exist', () => {
    const broken: string[] = []
    for (const doc of [...docs, ...packageReadmes]) {
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
  it('says why a block is not run', () => {
    const unexplained = snippets
      .filter((snippet) => snippet.directive !== undefined && !snippet.reason)
      .map((snippet) => `${relative(ROOT, snippet.doc)}:${snippet.line}`)
    expect(unexplained).toEqual([])
    expect(runnable.length).toBeGreaterThan(snippets.length / 2)
  })

  it('runs every TypeScript code block not marked compile-only', async () => {
    const bySource = new Map(runnable.map((snippet) => [resolve(snippet.file), snippet]))
    const problems = (await runSnippets(runnable.map((snippet) => snippet.file))).map((failure) => {
      const snippet = bySource.get(resolve(failure.file))
      const where = snippet ? `${relative(ROOT, snippet.doc)}:${snippet.line}` : failure.file
      return `${where}: ${failure.error.split('\n').slice(0, 3).join(' / ')}`
    })
    expect(problems).toEqual([])
  }, 120_000)
})
