import { describe, expect, it } from 'vitest'
import { ops } from '../../caveats/index.js'
import { context } from './context.js'

describe('ops caveat', () => {
  it('parses, formats and round-trips, including service-defined ops', () => {
    const value = ops.parse('read, write,deploy,billing_export,x-1')
    expect(value).toEqual(['read', 'write', 'deploy', 'billing_export', 'x-1'])
    expect(ops.parse(ops.format(value))).toEqual(value)
    expect(ops.format(ops.parse('read , read'))).toBe('read')
  })

  it.each(['', 'Read', '1read', 'read,', 'read write', '_read', 'r'.repeat(33)])('rejects %j', (text) => {
    expect(() => ops.parse(text)).toThrow()
  })

  it('checks the request op', () => {
    const readOnly = ops.parse('read')
    expect(ops.check(readOnly, context({ op: 'read' }))).toEqual({ ok: true })
    expect(ops.check(readOnly, context({ op: 'write' }))).toMatchObject({
      ok: false,
      code: 'insufficient_scope',
    })
    expect(ops.check(readOnly, context())).toMatchObject({ ok: false, code: 'caveat_failed' })
  })

  it('intersects: read,write ∩ read = read', () => {
    const both = ops.intersect(ops.parse('read,write'), ops.parse('read'))
    expect(both).toEqual(['read'])
    expect(ops.check(both, context({ op: 'write' })).ok).toBe(false)
  })
})
