// #19: an access token is the grant's caveats + aud = <resource> + expires = now + 1h, verifiable locally.
import { describe, expect, it } from 'vitest'
import { CrumbError } from '../../../src/errors.js'
import { issueAccessToken } from '../../../src/service/oauth/access-token.js'
import {
  generateKeyRing,
  inspectToken,
  mintRootToken,
  RevocationList,
  rotateKeyRing,
  verifyToken,
} from '../../../src/token/index.js'

const ring = generateKeyRing()
const grant = {
  tokenId: 'tok_AAAAAAAAAAAAAAAAAAAAAA',
  userId: 'usr_BBBBBBBBBBBBBBBBBBBBBB',
  kid: ring.primary,
  rootCaveats: ['expires = 2026-09-01T00:00:00Z', 'ops = read', 'org = acme'],
}
const now = new Date('2026-06-01T12:00:00.250Z')

describe('issueAccessToken', () => {
  it('re-mints under the grant key’s own kid, so a key-ring rotation leaves the grant working', () => {
    const rotated = rotateKeyRing(ring, now)
    expect(rotated.primary).not.toBe(grant.kid)
    const { accessToken } = issueAccessToken({
      ring: rotated,
      grant,
      resource: 'https://deploy.example',
      now,
    })
    expect(inspectToken(accessToken).identifier?.kid).toBe(grant.kid)
    const root = mintRootToken({
      ring,
      userId: grant.userId,
      tokenId: grant.tokenId,
      caveats: grant.rootCaveats,
    })
    // the same root the key was minted as: same identifier, same chain
    expect(inspectToken(accessToken).identifierText).toBe(inspectToken(root.token).identifierText)
    const claims = verifyToken(accessToken, {
      keys: rotated,
      now,
      request: { op: 'read', org: 'acme' },
      audience: 'https://deploy.example',
    })
    expect(claims.kid).toBe(grant.kid)
  })

  it('attenuates the re-minted grant token with aud and a one-hour expiry', () => {
    const issued = issueAccessToken({ ring, grant, resource: 'https://deploy.example', now })
    // the caveat says 13:00:00 (whole seconds), 3599.75 s after `now`: expires_in never rounds up
    expect(issued.expiresIn).toBe(3599)
    const info = inspectToken(issued.accessToken)
    expect(info.identifier).toMatchObject({ tokenId: grant.tokenId, userId: grant.userId })
    expect(info.caveats.map((c) => c.text)).toEqual([
      ...grant.rootCaveats,
      'aud = https://deploy.example',
      'expires = 2026-06-01T13:00:00Z',
    ])
    // The same root token the grant's key would have had: same token id, same chain.
    const root = mintRootToken({
      ring,
      userId: grant.userId,
      tokenId: grant.tokenId,
      caveats: grant.rootCaveats,
    })
    expect(issued.accessToken.startsWith('crumb_')).toBe(true)
    expect(inspectToken(root.token).identifierText).toBe(info.identifierText)
  })

  it("never outlives the grant's own expiry", () => {
    const late = new Date('2026-08-31T23:30:00Z')
    const issued = issueAccessToken({ ring, grant, resource: 'https://deploy.example', now: late })
    expect(issued.expiresIn).toBe(1800)
    expect(issued.expiresAt.toISOString()).toBe('2026-09-01T00:00:00.000Z')
  })

  it('verifies locally only at its resource, and dies with its grant', () => {
    const { accessToken } = issueAccessToken({ ring, grant, resource: 'https://deploy.example', now })
    const at = { keys: ring, now, request: { op: 'read', org: 'acme' } }
    expect(verifyToken(accessToken, { ...at, audience: 'https://deploy.example' }).tokenId).toBe(
      grant.tokenId,
    )
    expect(() => verifyToken(accessToken, { ...at, audience: 'https://other.example' })).toThrow(CrumbError)
    expect(() => verifyToken(accessToken, at)).toThrow(CrumbError)
    const later = new Date(now.getTime() + 3601_000 + 30_000)
    expect(() => verifyToken(accessToken, { ...at, now: later, audience: 'https://deploy.example' })).toThrow(
      expect.objectContaining({ code: 'token_expired' }),
    )
    const revoked = new RevocationList([
      { tokenId: grant.tokenId, expiresAt: new Date('2026-09-01T00:00:00Z') },
    ])
    expect(() =>
      verifyToken(accessToken, { ...at, audience: 'https://deploy.example', revocations: revoked }),
    ).toThrow(expect.objectContaining({ code: 'token_revoked' }))
  })
})
