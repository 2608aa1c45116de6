/** The dashboard reads its cookies with the `cookie` package (#16 item 6). */
import type { Request } from 'express'
import { describe, expect, it } from 'vitest'
import { csrfCookieOf, deviceCodeCookieOf, sessionCookieOf } from '../../src/dashboard/cookies.js'

const req = (cookie: string | undefined): Request => ({ headers: { cookie } }) as unknown as Request
const CSRF = 'a'.repeat(43)

describe('dashboard cookies', () => {
  it('reads each cookie by name, the first value winning', () => {
    const r = req(`other=1; crumb_session=crumb_AAA; crumb_csrf=${CSRF}; crumb_session=crumb_BBB`)
    expect(sessionCookieOf(r)).toBe('crumb_AAA')
    expect(csrfCookieOf(r)).toBe(CSRF)
  })

  it('percent-decodes values and trims spaces', () => {
    expect(deviceCodeCookieOf(req('crumb_device_code= WDJB%2DMJHT '))).toBe('WDJB-MJHT')
  })

  it('gives nothing for absent, empty or malformed cookies', () => {
    expect(sessionCookieOf(req(undefined))).toBeUndefined()
    expect(sessionCookieOf(req('crumb_session='))).toBeUndefined()
    expect(sessionCookieOf(req('crumb_session'))).toBeUndefined()
    expect(csrfCookieOf(req('crumb_csrf=short'))).toBeUndefined()
    expect(deviceCodeCookieOf(req('crumb_device_code=%E0%A4%A'))).toBeUndefined()
  })
})
