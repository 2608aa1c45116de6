import { describe, expect, it } from 'vitest'
import { app } from '../../caveats/index.js'
import { context } from './context.js'

describe('app caveat', () => {
  it('parses, formats and round-trips', () => {
    const value = app.parse('web, cli')
    expect(value).toEqual(['web', 'cli'])
    expect(app.format(value)).toBe('web,cli')
    expect(app.parse(app.format(value))).toEqual(value)
  })

  it.each(['', 'web,', 'we b', '.web', 'web/cli'])('rejects %j', (text) => {
    expect(() => app.parse(text)).toThrow()
  })

  it('checks the request app', () => {
    const value = app.parse('web')
    expect(app.check(value, context({ app: 'web' }))).toEqual({ ok: true })
    expect(app.check(value, context({ app: 'cli' }))).toMatchObject({ ok: false, code: 'insufficient_scope' })
    expect(app.check(value, context())).toMatchObject({ ok: false, code: 'caveat_failed' })
  })

  it('intersects', () => {
    expect(app.intersect(app.parse('web,cli'), app.parse('cli'))).toEqual(['cli'])
  })
})
