import { SCOPE_OPS } from './scope.js'

/** The RFC 8414 document crumb serves at `/.well-known/oauth-authorization-server`. */
export interface AuthorizationServerMetadata {
  readonly issuer: string
  readonly authorization_endpoint: string
  readonly token_endpoint: string
  readonly registration_endpoint: string
  readonly revocation_endpoint: string
  readonly introspection_endpoint: string
  readonly response_types_supported: readonly ['code']
  readonly response_modes_supported: readonly ['query']
  readonly grant_types_supported: readonly ['authorization_code', 'refresh_token']
  readonly code_challenge_methods_supported: readonly ['S256']
  readonly token_endpoint_auth_methods_supported: readonly [
    'none',
    'client_secret_basic',
    'client_secret_post',
  ]
  readonly revocation_endpoint_auth_methods_supported: readonly [
    'none',
    'client_secret_basic',
    'client_secret_post',
  ]
  readonly introspection_endpoint_auth_methods_supported: readonly ['bearer']
  readonly scopes_supported: readonly string[]
  readonly client_id_metadata_document_supported: true
  readonly authorization_response_iss_parameter_supported: true
  readonly service_documentation?: string
}

/**
 * The authorization server metadata for an issuer (its public base URL, no trailing slash): every
 * field DESIGN.md lists, endpoints under `/oauth/`. `scopes_supported` lists the ops words; `org:NAME`
 * and `app:NAME` are open-ended and so cannot be listed.
 *
 * @example
 * authorizationServerMetadata('https://crumb.example').token_endpoint // 'https://crumb.example/oauth/token'
 */
export function authorizationServerMetadata(issuer: string): AuthorizationServerMetadata {
  const base = issuer.replace(/\/+$/, '')
  return {
    issuer: base,
    authorization_endpoint: `${base}/oauth/authorize`,
    token_endpoint: `${base}/oauth/token`,
    registration_endpoint: `${base}/oauth/register`,
    revocation_endpoint: `${base}/oauth/revoke`,
    introspection_endpoint: `${base}/oauth/introspect`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    introspection_endpoint_auth_methods_supported: ['bearer'],
    scopes_supported: [...SCOPE_OPS],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  }
}

/**
 * The issuer identifier this server answers as: `CRUMB_PUBLIC_URL` when set, else the origin the
 * request addressed (set `CRUMB_PUBLIC_URL` in production: clients compare `iss` with it).
 *
 * @example
 * issuerOf(undefined, 'http://127.0.0.1:8080') // 'http://127.0.0.1:8080'
 */
export function issuerOf(publicUrl: string | undefined, requestOrigin: string): string {
  return (publicUrl ?? requestOrigin).replace(/\/+$/, '')
}
