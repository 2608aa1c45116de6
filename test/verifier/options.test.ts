import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { serializeKeyRing } from '../../src/token/index.js'
import { CrumbError, parseDuration, parseVerifierOptions, verifier } from '../../src/verifier/index.js'
import { mintFixture } from './helpers.js'

const { ring } = mintFixture()
const server = 'http://127.0.0.1:9'
const serviceToken = 'crumb_service_token_secret'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CrumbError)
    expect((error as Error).message).not.toContain(serviceToken)
    return (error as CrumbError).code
  }
  return undefined
}

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5_000],
    ['5m', 300_000],
    ['12h', 43_200_000],
    ['30d', 2_592_000_000],
    ['1m30s', 90_000],
    [2500, 2500],
  ] as const)('%j is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms)
  })

  it.each(['', '5', 'five minutes', '-1s', '5 weeks', '1e3s', '1.5s', '5 m'])('refuses %j', (input) => {
    expect(() => parseDuration(input)).toThrow(RangeError)
  })

  it('refuses negative and non-finite numbers', () => {
    expect(() => parseDuration(-1)).toThrow(RangeError)
    expect(() => parseDuration(Number.NaN)).toThrow(RangeError)
  })
})

describe('verifier options', () => {
  it('refuses a timeout or usage interval a Node timer cannot hold (over 24 days)', () => {
    expect(codeOf(() => parseVerifierOptions({ keys: ring, server, serviceToken, timeout: '25d' }))).toBe(
      'validation_failed',
    )
    expect(
      codeOf(() => parseVerifierOptions({ keys: ring, server, serviceToken, usage: { interval: '30d' } })),
    ).toBe('validation_failed')
    expect(parseVerifierOptions({ keys: ring, server, serviceToken, timeout: '24d' }).timeoutMs).toBe(
      24 * 86_400_000,
    )
  })

  it('applies defaults: local mode, 5 min staleness, fail closed, usage on', () => {
    const o = parseVerifierOptions({ keys: ring, server, serviceToken })
    expect(o.mode).toBe('local')
    expect(o.maxStalenessMs).toBe(300_000)
    expect(o.failOpen).toBe(false)
    expect(o.leewayMs).toBe(30_000)
    expect(o.feed).toEqual({ url: `${server}/v1/revocations`, token: serviceToken })
    expect(o.usage?.intervalMs).toBeGreaterThan(0)
    expect(o.usage?.resolutionMs).toBe(1_000)
    const tuned = parseVerifierOptions({ keys: ring, server, serviceToken, usage: { resolution: '5s' } })
    expect(tuned.usage?.resolutionMs).toBe(5_000)
    expect(
      parseVerifierOptions({ keys: ring, server, serviceToken, usage: { resolution: 0 } }).usage
        ?.resolutionMs,
    ).toBe(0)
    expect(o.credentialsRequired).toBe(true)
  })

  it('takes the DESIGN.md shape: revocations { url, token } and a text maxStaleness', () => {
    const o = parseVerifierOptions({
      keys: ring,
      revocations: { url: `${server}/`, token: serviceToken },
      maxStaleness: '2s',
    })
    expect(o.feed?.url).toBe(`${server}/v1/revocations`)
    expect(o.server).toBe(server)
    expect(o.maxStalenessMs).toBe(2_000)
    const full = parseVerifierOptions({
      keys: ring,
      revocations: { url: `${server}/v1/revocations`, token: 't' },
    })
    expect(full.feed?.url).toBe(`${server}/v1/revocations`)
    expect(full.server).toBe(server)
  })

  it('fails at construction when local mode has no key ring', () => {
    expect(codeOf(() => verifier({ server, serviceToken }))).toBe('validation_failed')
  })

  it('fails at construction when the key ring file is missing or invalid, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crumb-opts-'))
    const missing = join(dir, 'nope.json')
    expect(() => verifier({ keys: missing, revocations: false, usage: false })).toThrow(/nope\.json/)
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{"primary":"k1","keys":[]}')
    expect(codeOf(() => verifier({ keys: bad, revocations: false, usage: false }))).toBe('validation_failed')
    const good = join(dir, 'good.json')
    writeFileSync(good, JSON.stringify(serializeKeyRing(ring)))
    const v = verifier({ keys: good, revocations: false, usage: false })
    expect(v.status().mode).toBe('local')
    void v.close()
  })

  it('requires a feed URL and token unless revocations: false', () => {
    expect(codeOf(() => parseVerifierOptions({ keys: ring }))).toBe('validation_failed')
    expect(codeOf(() => parseVerifierOptions({ keys: ring, server }))).toBe('validation_failed')
    expect(parseVerifierOptions({ keys: ring, revocations: false }).feed).toBeUndefined()
    expect(parseVerifierOptions({ keys: ring, revocations: false }).usage).toBeUndefined()
  })

  it('remote mode needs a server and a service token, takes no keys, and needs the feed', () => {
    expect(codeOf(() => parseVerifierOptions({ mode: 'remote', server }))).toBe('validation_failed')
    expect(codeOf(() => parseVerifierOptions({ mode: 'remote', serviceToken }))).toBe('validation_failed')
    expect(codeOf(() => parseVerifierOptions({ mode: 'remote', server, serviceToken, keys: ring }))).toBe(
      'validation_failed',
    )
    expect(
      codeOf(() => parseVerifierOptions({ mode: 'remote', server, serviceToken, revocations: false })),
    ).toBe('validation_failed')
    expect(parseVerifierOptions({ mode: 'remote', server, serviceToken }).mode).toBe('remote')
  })

  it('refuses bad values: durations, URLs, unknown options', () => {
    expect(
      codeOf(() => parseVerifierOptions({ keys: ring, server, serviceToken, maxStaleness: 'soon' })),
    ).toBe('validation_failed')
    expect(codeOf(() => parseVerifierOptions({ keys: ring, server: 'ftp://x', serviceToken }))).toBe(
      'validation_failed',
    )
    expect(
      codeOf(() => parseVerifierOptions({ keys: ring, server, serviceToken, maxStaleneds: '5m' } as never)),
    ).toBe('validation_failed')
    expect(codeOf(() => parseVerifierOptions({ keys: 42, server, serviceToken } as never))).toBe(
      'validation_failed',
    )
  })
})
