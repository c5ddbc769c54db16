import { packageConfig } from '../../tsup.base.js'

// `bin` is the command (its shebang kept by esbuild); `index` the programmatic entry.
export default packageConfig(
  { index: 'src/index.ts', bin: 'src/bin.ts' },
  { dts: { entry: { index: 'src/index.ts' } } },
)
