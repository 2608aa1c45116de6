import { describe, expect, it } from 'vitest'
import { device } from '../../caveats/index.js'
import { context } from './context.js'

describe('device caveat', () => {
  it('parses a trimmed hostname, spaces inside allowed', () => {
    expect(device.parse('  laptop-7 ')).toEqual(['laptop-7'])
    expect(device.parse('Anas MacBook Pro')).toEqual(['Anas MacBook Pro'])
    expect(device.parse('ci-runner.example.com')).toEqual(['ci-runner.example.com'])
  })

  it('round-trips', () => {
    const value = device.parse('laptop-7')
    expect(device.format(value)).toBe('laptop-7')
    expect(device.parse(device.format(value))).toEqual(value)
  })

  it.each(['', '-laptop', 'lap/top', 'laptop\n7', 'a'.repeat(129)])('rejects %j', (text) => {
    expect(() => device.parse(text)).toThrow()
  })

  it('fails a missing or different device with caveat_failed', () => {
    const value = device.parse('laptop-7')
    expect(device.check(value, context({ device: 'laptop-7' }))).toEqual({ ok: true })
    expect(device.check(value, context({ device: 'ci-runner' }))).toMatchObject({
      ok: false,
      code: 'caveat_failed',
    })
    expect(device.check(value, context())).toMatchObject({ ok: false, code: 'caveat_failed' })
  })

  it('intersects equal devices to the device and different ones to nothing', () => {
    expect(device.intersect(device.parse('laptop-7'), device.parse('laptop-7'))).toEqual(['laptop-7'])
    const none = device.intersect(device.parse('laptop-7'), device.parse('ci-runner'))
    expect(none).toEqual([])
    expect(device.check(none, context({ device: 'laptop-7' })).ok).toBe(false)
    expect(device.check(none, context({ device: 'ci-runner' })).ok).toBe(false)
  })
})
