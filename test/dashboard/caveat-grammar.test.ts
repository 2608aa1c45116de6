/**
 * The dashboard reads caveats with the server's grammar and problems with the CLI's reader
 * (#16 item 5): the page module's parseCaveat agrees with the caveat registry, and the server
 * serves the shared modules the pages import.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CaveatParseError, defaultRegistry } from '../../caveats/index.js'
import { caveatPhrases, parseCaveat } from '../../src/dashboard/public/js/format.js'
import { type Dashboard, startDashboard } from './helpers.js'

const TEXTS = [
  'org = acme',
  '  org=acme,beta  ',
  'ops = read, write',
  'ip = 10.0.0.0/8,203.0.113.7',
  'expires = 2026-12-01T00:00:00Z',
  'not-before = 2026-11-01T00:00:00Z',
  'device = laptop-7',
  'aud = https://deploy.example',
  'ORG = acme',
  'Org = acme',
  'org_name = acme',
  '9org = acme',
  'org =',
  'org = ',
  '= acme',
  'org acme',
  `org = ${'a'.repeat(4100)}`,
]

/** The registry's verdict on the syntax alone: a syntax error, or the name it read. */
function registrySyntax(text: string): string | undefined {
  try {
    return defaultRegistry().parseCaveat(text).kind.name
  } catch (error) {
    if (error instanceof CaveatParseError && error.problem === 'syntax') return undefined
    return 'not-syntax'
  }
}

describe('the dashboard and the server read caveats alike', () => {
  it('parseCaveat refuses exactly the texts the registry refuses as syntax, and names the same kind', () => {
    for (const text of TEXTS) {
      const page = parseCaveat(text)
      const server = registrySyntax(text)
      if (server === undefined) expect(page, text).toBeUndefined()
      else expect(page, text).toBeDefined()
      if (server !== undefined && server !== 'not-syntax') expect(page?.name, text).toBe(server)
    }
  })

  it('shows a caveat the registry would refuse as its raw text, not as scope', () => {
    const phrases = caveatPhrases({
      caveats: ['ORG = acme'],
      expires_at: '2999-01-01T00:00:00Z',
      status: 'active',
    })
    expect(phrases[0]).toBe('ORG = acme')
  })
})

describe('the shared modules the pages import', () => {
  let server: Dashboard

  beforeAll(async () => {
    server = await startDashboard()
  })

  afterAll(async () => {
    await server?.close()
  })

  it('is served as JavaScript at /caveats/grammar.js', async () => {
    const res = await fetch(`${server.url}/caveats/grammar.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/javascript/)
    expect(await res.text()).toContain('export function splitCaveat')
  })

  it('and the problem reader the CLI uses, at /wire/read-problem.js', async () => {
    const res = await fetch(`${server.url}/wire/read-problem.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/javascript/)
    expect(await res.text()).toContain('export function readProblem')
  })
})
