import * as z from 'zod'
import { OAuthError } from './errors.js'
import { redirectUriProblem } from './redirect-uri.js'
import { formatScope, parseScope } from './scope.js'

/** Most redirect URIs one client may register. */
export const MAX_REDIRECT_URIS = 10

/** How a client authenticates at the token endpoint. */
export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post'

/** What a client registered (RFC 7591 §2), after checking: the fields crumb keeps. */
export interface ClientMetadata {
  readonly redirectUris: readonly string[]
  readonly clientName: string
  readonly tokenEndpointAuthMethod: ClientAuthMethod
  readonly clientUri: string | undefined
  readonly logoUri: string | undefined
  /** The scope the client may ask for at most, canonical words; undefined = any. */
  readonly scope: string | undefined
}

const httpsUrl = z
  .string()
  .max(2000)
  .refine((s) => URL.canParse(s) && new URL(s).protocol === 'https:', 'must be an https URL')

/** The registration request (RFC 7591 §3.1); unknown members are ignored, as §2 requires. */
const registration = z.object({
  redirect_uris: z.array(z.string()).min(1, 'at least one redirect URI is required').max(MAX_REDIRECT_URIS),
  client_name: z.string().trim().min(1).max(100).optional(),
  token_endpoint_auth_method: z.enum(['none', 'client_secret_basic', 'client_secret_post']).default('none'),
  grant_types: z
    .array(z.string())
    .default(['authorization_code'])
    .refine(
      (types) => types.every((t) => t === 'authorization_code' || t === 'refresh_token'),
      'only authorization_code and refresh_token are supported',
    )
    .refine((types) => types.includes('authorization_code'), 'authorization_code is required'),
  response_types: z
    .array(z.string())
    .default(['code'])
    .refine((types) => types.length === 1 && types[0] === 'code', 'only the code response type is supported'),
  client_uri: httpsUrl.optional(),
  logo_uri: httpsUrl.optional(),
  scope: z.string().max(2048).optional(),
})

/**
 * Checks a client registration request (RFC 7591) and keeps what crumb uses. Redirect URIs must be
 * https, or http on a loopback host (RFC 8252), else `invalid_redirect_uri`; any other bad member is
 * `invalid_client_metadata`. A client without a name is named after its first redirect URI's host.
 *
 * @example
 * parseClientMetadata({ redirect_uris: ['http://127.0.0.1:8976/callback'], client_name: 'My CLI' })
 * // { redirectUris: ['http://127.0.0.1:8976/callback'], clientName: 'My CLI', tokenEndpointAuthMethod: 'none', … }
 */
export function parseClientMetadata(body: unknown): ClientMetadata {
  const parsed = registration.safeParse(body)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.join('.') || 'body'
    const code = issue?.path[0] === 'redirect_uris' ? 'invalid_redirect_uri' : 'invalid_client_metadata'
    throw new OAuthError(code, `${where}: ${issue?.message ?? 'invalid'}`)
  }
  const m = parsed.data
  for (const uri of m.redirect_uris) {
    const problem = redirectUriProblem(uri)
    if (problem !== undefined) throw new OAuthError('invalid_redirect_uri', problem)
  }
  const redirectUris = [...new Set(m.redirect_uris)]
  let scope: string | undefined
  if (m.scope !== undefined) {
    try {
      scope = formatScope(parseScope(m.scope))
    } catch (error) {
      throw new OAuthError('invalid_client_metadata', `scope: ${(error as Error).message}`)
    }
  }
  return {
    redirectUris,
    clientName: m.client_name ?? new URL(redirectUris[0] ?? 'https://unknown.invalid').host,
    tokenEndpointAuthMethod: m.token_endpoint_auth_method,
    clientUri: m.client_uri,
    logoUri: m.logo_uri,
    scope,
  }
}
