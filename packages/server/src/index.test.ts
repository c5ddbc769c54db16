import { describe, expect, it } from 'vitest'
import * as server from './index.js'

describe('@tidings/server exports', () => {
  it('exports exactly these runtime names (a new export is a decision)', () => {
    expect(Object.keys(server).sort()).toEqual([
      'DependencyError',
      'EmitError',
      'HttpError',
      'OptionError',
      'StoreError',
      'StreamError',
      'ValidationError',
      'createEmitter',
      'isHttpError',
    ])
  })
})
