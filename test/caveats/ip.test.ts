import { describe, expect, it } from 'vitest'
import { ip } from '../../caveats/index.js'
import { context } from './context.js'

const from = (address: string) => context({ ip: address })

describe('ip caveat', () => {
  it('parses addresses and CIDR ranges of both families', () => {
    const value = ip.parse('10.0.0.0/8, 203.0.113.7 ,2001:db8::/32')
    expect(ip.format(value)).toBe('10.0.0.0/8,203.0.113.7,2001:db8::/32')
    expect(ip.parse(ip.format(value))).toEqual(value)
  })

  it('formats canonically', () => {
    expect(ip.format(ip.parse('10.0.0.1/32'))).toBe('10.0.0.1')
    expect(ip.format(ip.parse('2001:0DB8:0000:0000:0001:0000:0000:0001'))).toBe('2001:db8::1:0:0:1')
    expect(ip.format(ip.parse('::ffff:10.0.0.0/104'))).toBe('10.0.0.0/8')
    expect(ip.format(ip.parse('::ffff:a01:203'))).toBe('10.1.2.3')
    expect(ip.format(ip.parse('::/0,0.0.0.0/0'))).toBe('::/0')
  })

  it('drops ranges another range covers', () => {
    expect(ip.format(ip.parse('10.1.0.0/16,10.0.0.0/8,10.2.3.4,10.0.0.0/8'))).toBe('10.0.0.0/8')
  })

  it.each([
    '',
    ',',
    '10.0.0.0/8,',
    '10.0.0.0/33',
    '2001:db8::/129',
    '999.1.1.1',
    '10.0.0',
    '010.0.0.1',
    '10.1.0.0/8',
    '10.0.0.0/',
    '10.0.0.0/+8',
    '10.0.0.0/8/8',
    'fe80::1%eth0',
    'localhost',
    '2001:db8:::1',
  ])('rejects %j', (text) => {
    expect(() => ip.parse(text)).toThrow()
  })

  it('admits addresses in a range and refuses others with caveat_failed', () => {
    const value = ip.parse('10.0.0.0/8,203.0.113.7,2001:db8::/32')
    for (const address of ['10.1.2.3', '203.0.113.7', '2001:db8::1', '2001:DB8:ffff::']) {
      expect(ip.check(value, from(address)), address).toEqual({ ok: true })
    }
    for (const address of ['11.0.0.1', '203.0.113.8', '2001:db9::1', '::1', 'not-an-ip', '']) {
      expect(ip.check(value, from(address)), address).toMatchObject({ ok: false, code: 'caveat_failed' })
    }
  })

  it('treats IPv4-mapped IPv6 client addresses as IPv4', () => {
    const value = ip.parse('10.0.0.0/8')
    expect(ip.check(value, from('::ffff:10.1.2.3'))).toEqual({ ok: true })
    expect(ip.check(value, from('::FFFF:10.1.2.3'))).toEqual({ ok: true })
    expect(ip.check(value, from('::ffff:a01:203'))).toEqual({ ok: true })
    expect(ip.check(value, from('0:0:0:0:0:ffff:10.1.2.3'))).toEqual({ ok: true })
    expect(ip.check(value, from('::ffff:11.1.2.3')).ok).toBe(false)
    expect(ip.check(value, from('::10.1.2.3')).ok).toBe(false) // IPv4-compatible, not mapped
    expect(ip.check(ip.parse('::ffff:10.0.0.0/104'), from('10.1.2.3'))).toEqual({ ok: true })
  })

  it('matches IPv6 client addresses with a zone by their address', () => {
    expect(ip.check(ip.parse('fe80::/10'), from('fe80::1%eth0'))).toEqual({ ok: true })
  })

  it('fails a request with no client address with caveat_failed', () => {
    expect(ip.check(ip.parse('0.0.0.0/0'), context())).toMatchObject({ ok: false, code: 'caveat_failed' })
  })

  it('intersects exactly: nested ranges meet in the smaller, disjoint ones not at all', () => {
    const both = ip.intersect(ip.parse('10.0.0.0/8,2001:db8::/32'), ip.parse('10.1.0.0/16,192.168.0.0/16'))
    expect(ip.format(both)).toBe('10.1.0.0/16')
    expect(ip.check(both, from('10.1.2.3')).ok).toBe(true)
    expect(ip.check(both, from('10.2.0.1')).ok).toBe(false)
    expect(ip.check(both, from('2001:db8::1')).ok).toBe(false)
    expect(ip.format(ip.intersect(ip.parse('::/0'), ip.parse('10.0.0.0/8')))).toBe('10.0.0.0/8')
  })

  it('intersects disjoint lists to a value that admits nothing', () => {
    const none = ip.intersect(ip.parse('10.0.0.0/8'), ip.parse('192.168.0.0/16'))
    expect(none).toEqual([])
    expect(ip.check(none, from('10.0.0.1')).ok).toBe(false)
  })
})
