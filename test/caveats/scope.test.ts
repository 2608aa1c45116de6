import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { type CaveatKind, createDefaultRegistry, effectiveScope } from '../../caveats/index.js'

const tier: CaveatKind<string> = {
  name: 'tier',
  dimension: 'app',
  schema: z.string(),
  parse: (value) => value,
  format: (value) => value,
  check: () => ({ ok: true }),
  intersect: (a) => a,
}
const registry = createDefaultRegistry([tier])
const parse = (...texts: string[]) => texts.map((text) => registry.parseCaveat(text))

describe('effectiveScope', () => {
  it('is unrestricted with no caveats', () => {
    expect(effectiveScope([])).toEqual({
      orgs: null,
      apps: null,
      ops: null,
      devices: null,
      ips: null,
      expiresAt: null,
      notBefore: null,
      audiences: null,
      other: [],
    })
  })

  it('intersects the caveats of each kind', () => {
    const scope = effectiveScope(
      parse(
        'org = acme,beta',
        'org = beta',
        'app = web',
        'ops = read,write',
        'ops = read',
        'device = laptop-7',
        'ip = 10.0.0.0/8,2001:db8::/32',
        'ip = 10.1.0.0/16',
        'expires = 2026-12-01T00:00:00Z',
        'expires = 2027-01-01T00:00:00Z',
        'not-before = 2026-11-01T00:00:00Z',
        'not-before = 2026-10-01T00:00:00Z',
        'aud = https://deploy.example,https://api.example/mcp',
        'aud = https://api.example/mcp',
        'tier = gold',
      ),
    )
    expect(scope).toEqual({
      orgs: ['beta'],
      apps: ['web'],
      ops: ['read'],
      devices: ['laptop-7'],
      ips: ['10.1.0.0/16'],
      expiresAt: new Date('2026-12-01T00:00:00Z'),
      notBefore: new Date('2026-11-01T00:00:00Z'),
      audiences: ['https://api.example/mcp'],
      other: ['tier = gold'],
    })
  })

  it('shows an empty intersection as admitting nothing', () => {
    const scope = effectiveScope(
      parse('device = laptop-7', 'device = ci-runner', 'ops = read', 'ops = write'),
    )
    expect(scope.devices).toEqual([])
    expect(scope.ops).toEqual([])
  })
})
