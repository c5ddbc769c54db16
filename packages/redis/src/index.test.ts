import { describe, expect, it } from 'vitest'
import * as redis from './index.js'

describe('@tidings/redis exports', () => {
  it('exports exactly these runtime names (a new export is a decision)', () => {
    expect(Object.keys(redis).sort()).toEqual(['createRedisStore'])
  })
})
