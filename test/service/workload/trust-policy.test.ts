import { describe, expect, it } from 'vitest'
import {
  DEFAULT_POLICY_TTL_MS,
  firstAdmitting,
  policyAdmits,
  trustPolicyInputSchema,
} from '../../../src/service/workload/trust-policy.js'

// #20: trust policies — the schema of a new one, and which ID token claims it admits.

const GITHUB = 'https://token.actions.githubusercontent.com'
const schema = trustPolicyInputSchema({ allowLoopbackIssuers: false })
const loopbackSchema = trustPolicyInputSchema({ allowLoopbackIssuers: true })

const valid = {
  name: 'deploy web from main',
  issuer: GITHUB,
  audience: 'https://crumb.example',
  conditions: { repository: 'acme/web', ref: 'refs/heads/main' },
  caveats: ['org = acme', 'app = web', 'ops = deploy'],
}

function problems(input: unknown, s = schema): string[] {
  const parsed = s.safeParse(input)
  return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.'))
}

describe('trust policy schema (#20)', () => {
  it('parses a policy, with a 15 minute TTL by default', () => {
    const policy = schema.parse(valid)
    expect(policy.ttlMs).toBe(DEFAULT_POLICY_TTL_MS)
    expect(policy.caveats).toEqual(valid.caveats)
    expect(schema.parse({ ...valid, ttl: '1h' }).ttlMs).toBe(3_600_000)
    expect(schema.parse({ ...valid, ttl: '5m' }).ttlMs).toBe(300_000)
  })

  it('caps the TTL at one hour', () => {
    expect(problems({ ...valid, ttl: '61m' })).toEqual(['ttl'])
    expect(problems({ ...valid, ttl: '2h' })).toEqual(['ttl'])
    expect(problems({ ...valid, ttl: 'soon' })).toEqual(['ttl'])
    expect(problems({ ...valid, ttl: '0' })).toEqual(['ttl'])
  })

  it('needs a condition besides iss and aud, with more than *', () => {
    expect(problems({ ...valid, conditions: {} })).toEqual(['conditions'])
    expect(problems({ ...valid, conditions: { iss: GITHUB, aud: 'https://crumb.example' } })).toEqual([
      'conditions',
    ])
    expect(problems({ ...valid, conditions: { repository: '*' } })).toEqual(['conditions'])
    expect(problems({ ...valid, conditions: { repository: 'acme/*' } })).toEqual([])
  })

  it('checks claim names and patterns', () => {
    expect(problems({ ...valid, conditions: { 'bad name': 'x', repository: 'a/b' } })).toEqual([
      'conditions.bad name',
    ])
    expect(problems({ ...valid, conditions: { repository: '' } })).toContain('conditions.repository')
    expect(problems({ ...valid, conditions: { repository: 'a\nb' } })).toContain('conditions.repository')
  })

  it('checks every caveat with the caveat registry', () => {
    expect(problems({ ...valid, caveats: ['colour = red'] })).toEqual(['caveats.0'])
    expect(problems({ ...valid, caveats: ['org = acme', 'ops = '] })).toEqual(['caveats.1'])
    expect(problems({ ...valid, caveats: ['expires = yesterday'] })).toEqual(['caveats.0'])
  })

  it('takes https issuers; http only on loopback and only when allowed', () => {
    expect(problems({ ...valid, issuer: 'http://token.actions.githubusercontent.com' })).toEqual(['issuer'])
    expect(problems({ ...valid, issuer: 'http://127.0.0.1:9999' })).toEqual(['issuer'])
    expect(problems({ ...valid, issuer: 'http://127.0.0.1:9999' }, loopbackSchema)).toEqual([])
    expect(problems({ ...valid, issuer: 'http://[::1]:9999' }, loopbackSchema)).toEqual([])
    expect(problems({ ...valid, issuer: 'http://10.0.0.1' }, loopbackSchema)).toEqual(['issuer'])
    expect(problems({ ...valid, issuer: 'https://user:pw@issuer.example' })).toEqual(['issuer'])
    expect(problems({ ...valid, issuer: 'not a url' })).toEqual(['issuer'])
    expect(problems({ ...valid, issuer: 'ftp://issuer.example' })).toEqual(['issuer'])
  })
})

describe('policy matching (#20)', () => {
  const policy = schema.parse(valid)
  const claims = {
    iss: GITHUB,
    aud: 'https://crumb.example',
    sub: 'repo:acme/web:ref:refs/heads/main',
    repository: 'acme/web',
    ref: 'refs/heads/main',
  }

  it('admits claims that meet every condition', () => {
    expect(policyAdmits(policy, claims)).toBe(true)
    expect(policyAdmits(policy, { ...claims, aud: ['https://other', 'https://crumb.example'] })).toBe(true)
  })

  it('refuses a wrong repository, branch, issuer or audience, and a missing claim', () => {
    expect(policyAdmits(policy, { ...claims, repository: 'acme/web-evil' })).toBe(false)
    expect(policyAdmits(policy, { ...claims, ref: 'refs/heads/dev' })).toBe(false)
    expect(policyAdmits(policy, { ...claims, iss: 'https://gitlab.com' })).toBe(false)
    expect(policyAdmits(policy, { ...claims, aud: 'https://other' })).toBe(false)
    const { ref: _ref, ...noRef } = claims
    expect(policyAdmits(policy, noRef)).toBe(false)
    // a claim inherited from Object.prototype is not a claim
    expect(policyAdmits({ ...policy, conditions: { constructor: '*x*' } }, claims)).toBe(false)
  })

  it('picks the first admitting policy in order', () => {
    const branches = { ...policy, conditions: { repository: 'acme/web', ref: 'refs/heads/*' } }
    expect(firstAdmitting([policy, branches], { ...claims, ref: 'refs/heads/dev' })).toBe(branches)
    expect(firstAdmitting([policy, branches], claims)).toBe(policy)
    expect(firstAdmitting([policy], { ...claims, ref: 'refs/tags/v1' })).toBeUndefined()
  })
})
