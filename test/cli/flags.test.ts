import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { addCaveatOptions, type CaveatFlags, caveatsFromFlags } from '../../src/cli/caveat-flags.js'
import { formatErrorLine, UsageError } from '../../src/cli/errors.js'
import { relativeTime, renderTable } from '../../src/cli/output.js'

function parse(args: string[]): CaveatFlags {
  const command = addCaveatOptions(new Command('t').exitOverride(), 'expires').configureOutput({
    writeErr: () => undefined,
  })
  command.parse(args, { from: 'user' })
  return command.opts<CaveatFlags>()
}

const now = new Date('2026-06-01T00:00:00Z')

describe('caveat flags', () => {
  it('turn into canonical caveat texts in a fixed order', () => {
    const flags = parse([
      '--expires',
      '30d',
      '--ip',
      '10.0.0.0/8,203.0.113.7',
      '--org',
      'acme, beta',
      '--org',
      'acme',
      '--read-only',
      '--device',
      'laptop-7',
      '--not-before',
      '2026-06-02T00:00:00Z',
      '--app',
      'web',
    ])
    expect(caveatsFromFlags(flags, { now })).toEqual([
      'org = acme,beta',
      'app = web',
      'ops = read',
      'device = laptop-7',
      'ip = 10.0.0.0/8,203.0.113.7',
      'not-before = 2026-06-02T00:00:00Z',
      'expires = 2026-07-01T00:00:00Z',
    ])
  })

  it('turn --aud into an aud caveat after ip, canonical (#19)', () => {
    expect(
      caveatsFromFlags(parse(['--aud', 'https://Deploy.Example/', '--ip', '10.0.0.0/8', '--org', 'acme']), {
        now,
      }),
    ).toEqual(['org = acme', 'ip = 10.0.0.0/8', 'aud = https://deploy.example'])
  })

  it('leave --expires to the caller when asked', () => {
    expect(
      caveatsFromFlags(parse(['--ops', 'deploy', '--expires', '1h']), { now, includeExpires: false }),
    ).toEqual(['ops = deploy'])
  })

  it.each([
    [['--org', 'Acme!'], '--org'],
    [['--ops', 'READ'], '--ops'],
    [['--ip', '300.0.0.1'], '--ip'],
    [['--aud', 'deploy.example'], '--aud'],
    [['--expires', 'soon'], '--expires'],
    [['--not-before', '2026-02-30T00:00:00Z'], '--not-before'],
  ])('refuse a bad value naming the flag: %j', (args, flag) => {
    expect(() => parse(args)).toThrow(expect.objectContaining({ code: 'commander.invalidArgument' }))
    expect(() => parse(args)).toThrow(new RegExp(flag))
  })

  it('refuse --ops with --read-only', () => {
    expect(() => parse(['--ops', 'read', '--read-only'])).toThrow(
      expect.objectContaining({ code: 'commander.conflictingOption' }),
    )
  })

  it('refuse an expiry in the past or not after --not-before', () => {
    expect(() => caveatsFromFlags(parse(['--expires', '2020-01-01T00:00:00Z']), { now })).toThrow(UsageError)
    expect(() => caveatsFromFlags(parse(['--expires', '1h', '--not-before', '2h']), { now })).toThrow(
      /--not-before/,
    )
  })
})

describe('output', () => {
  it('pads table columns under upper-case headers', () => {
    expect(
      renderTable(
        ['name', 'status'],
        [
          ['ci', 'active'],
          ['CLI login on laptop', 'replaced'],
        ],
      ),
    ).toBe('NAME                 STATUS\nci                   active\nCLI login on laptop  replaced')
  })

  it('shows times relative to now', () => {
    expect(relativeTime('2026-05-31T23:55:00Z', now)).toBe('5m ago')
    expect(relativeTime('2026-07-01T00:00:00Z', now)).toBe('in 30d')
    expect(relativeTime(null, now)).toBe('-')
  })

  it('prints an error as one line: code, detail, hint', () => {
    const line = formatErrorLine(new UsageError("option '--expires <when>' is invalid:\nexpected 30d"))
    expect(line).toBe("usage_error: option '--expires <when>' is invalid: expected 30d")
    expect(line).not.toContain('\n')
  })
})
