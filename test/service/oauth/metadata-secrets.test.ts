// #19: RFC 8414 metadata with every field DESIGN.md lists; OAuth secrets stored only as hashes.
import { describe, expect, it } from 'vitest'
import { authorizationServerMetadata } from '../../../src/service/oauth/metadata.js'
import { isSecretOf, newSecret, secretHash, secretMatches } from '../../../src/service/oauth/secrets.js'

describe('authorization server metadata', () => {
  it('has every field DESIGN.md lists, endpoints under the issuer', () => {
    const m = authorizationServerMetadata('https://crumb.example/')
    expect(m).toMatchObject({
      issuer: 'https://crumb.example',
      authorization_endpoint: 'https://crumb.example/oauth/authorize',
      token_endpoint: 'https://crumb.example/oauth/token',
      registration_endpoint: 'https://crumb.example/oauth/register',
      revocation_endpoint: 'https://crumb.example/oauth/revoke',
      introspection_endpoint: 'https://crumb.example/oauth/introspect',
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      scopes_supported: ['read', 'write', 'deploy'],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
    })
  })
})

describe('OAuth secrets', () => {
  it('are prefixed, 256-bit, recognisable by kind', () => {
    const rt = newSecret('refreshToken')
    expect(rt).toMatch(/^crumb_rt_[A-Za-z0-9_-]{43}$/)
    expect(isSecretOf('refreshToken', rt)).toBe(true)
    expect(isSecretOf('clientSecret', rt)).toBe(false)
    expect(isSecretOf('refreshToken', `${rt}x`)).toBe(false)
    expect(newSecret('refreshToken')).not.toBe(rt)
  })

  it('are kept as a hash that matches only the secret', () => {
    const cs = newSecret('clientSecret')
    const stored = secretHash(cs)
    expect(stored).not.toContain(cs.slice(9))
    expect(secretMatches(cs, stored)).toBe(true)
    expect(secretMatches(newSecret('clientSecret'), stored)).toBe(false)
    expect(secretMatches('', stored)).toBe(false)
  })
})
