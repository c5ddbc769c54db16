import { defineConfig } from 'vitest/config'

// Package imports resolve to `src` through the `@tidings/source` export condition,
// so the suite needs no build (see tsconfig.base.json `customConditions`).
const conditions = ['@tidings/source', 'module', 'node', 'default']

const project = (name: string, extra: Record<string, unknown> = {}) => ({
  extends: true as const,
  test: {
    name,
    include: [`packages/${name}/src/**/*.test.ts`, `packages/${name}/test/**/*.test.ts`],
    typecheck: {
      enabled: true,
      include: [`packages/${name}/src/**/*.test-d.ts`],
      tsconfig: './tsconfig.json',
    },
    ...extra,
  },
})

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    projects: [
      project('schema'),
      project('server'),
      project('client'),
      project('redis', { testTimeout: 30_000, hookTimeout: 60_000 }),
      // Both start real servers, Chromium (react) or the command in tmux (cli).
      project('react', { testTimeout: 60_000, hookTimeout: 120_000 }),
      project('cli', { testTimeout: 60_000, hookTimeout: 120_000 }),
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
