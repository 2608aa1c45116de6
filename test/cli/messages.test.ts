import { describe, expect, it } from 'vitest'
import { CliError, formatErrorLine } from '../../src/cli/errors.js'
import { waitText } from '../../src/cli/http-client.js'

describe('error lines say each thing once — #18 item 7', () => {
  it('a field problem the detail already states is not repeated', () => {
    const line = formatErrorLine(
      new CliError('validation_failed', 'expires_in: must be at most 365d', {
        errors: [{ path: 'expires_in', message: 'must be at most 365d' }],
      }),
    )
    expect(line).toBe('validation_failed: expires_in: must be at most 365d')
  })

  it('the hint says nothing the detail says', () => {
    const last = formatErrorLine(
      new CliError('last_key_protected', 'this is your last active key; create another before revoking it'),
    )
    expect(last.match(/last active key/g)).toHaveLength(1)
    expect(last).toContain('crumb tokens create')
    const denied = formatErrorLine(new CliError('access_denied', 'the login request was denied'))
    expect(denied.match(/was denied/g)).toHaveLength(1)
    expect(denied).toContain('crumb login')
  })
})

describe('rate-limit waits read as people say them — #18 item 11', () => {
  it('3581 s is "60 min"', () => {
    expect(waitText(3581)).toBe('60 min')
    expect(waitText(30)).toBe('30s')
    expect(waitText(20_000)).toBe('6 h')
  })
})
