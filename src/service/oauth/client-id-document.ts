import * as z from 'zod'
import { FetchJsonError, fetchJsonResponse } from '../workload/fetch-json.js'
import type { FetchedClientDocument } from './client-id-document-cache.js'
import type { ClientMetadata } from './client-metadata.js'
import { OAuthError } from './errors.js'
import { isLoopbackHost, redirectUriProblem } from './redirect-uri.js'

/** Largest document read, in bytes. */
export const MAX_CLIENT_DOCUMENT_BYTES = 64 * 1024
/** How long a fetch may take. */
export const CLIENT_DOCUMENT_TIMEOUT_MS = 5_000

/** Options of {@link fetchClientIdDocument}. */
export interface ClientIdDocumentOptions {
  /** Accept `http://` client ids on a loopback host (`CRUMB_OAUTH_ALLOW_LOOPBACK_CLIENT_IDS=true`). */
  readonly allowLoopback: boolean
  readonly timeoutMs?: number
}

const document = z.object({
  client_id: z.string(),
  client_name: z.string().trim().min(1).max(100).optional(),
  redirect_uris: z.array(z.string()).min(1).max(10),
  token_endpoint_auth_method: z.literal('none').default('none'),
  client_uri: z.string().max(2000).optional(),
  logo_uri: z.string().max(2000).optional(),
})

/**
 * Whether a `client_id` is a URL naming a Client ID Metadata Document: https with a path (or, when
 * allowed, http on a loopback host), no fragment, no user info.
 *
 * @example
 * isClientIdUrl('https://app.example/oauth/client.json', { allowLoopback: false }) // true
 * isClientIdUrl('cli_abc', { allowLoopback: false })                              // false
 */
export function isClientIdUrl(clientId: string, options: { allowLoopback: boolean }): boolean {
  if (!URL.canParse(clientId)) return false
  const url = new URL(clientId)
  if (url.hash !== '' || clientId.includes('#') || url.username !== '' || url.password !== '') return false
  if (url.pathname === '/' || url.pathname === '') return false
  if (url.protocol === 'https:') return true
  return options.allowLoopback && url.protocol === 'http:' && isLoopbackHost(url)
}

/**
 * Fetches and checks a Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document):
 * GET the `client_id` URL with the bounded `fetchJson` (no redirects, a timeout, a size cap), parse JSON whose `client_id` is
 * that URL exactly, with `redirect_uris` that crumb would accept at registration. Such a client is
 * public (`none`). Anything wrong is `invalid_client`, naming the problem, never echoing the body.
 *
 * @example
 * const client = await fetchClientIdDocument('https://app.example/client.json', { allowLoopback: false })
 * client.redirectUris // ['https://app.example/callback']
 */
export async function fetchClientIdDocument(
  clientId: string,
  options: ClientIdDocumentOptions,
): Promise<ClientMetadata> {
  return (await readClientIdDocument(clientId, options)).metadata
}

/**
 * {@link fetchClientIdDocument}, also answering the response's headers (their cache lifetime:
 * `ClientDocumentCache`).
 *
 * @example
 * const { metadata, headers } = await readClientIdDocument(url, { allowLoopback: false })
 */
export async function readClientIdDocument(
  clientId: string,
  options: ClientIdDocumentOptions,
): Promise<FetchedClientDocument> {
  if (!isClientIdUrl(clientId, options))
    throw new OAuthError('invalid_client', 'client_id is not a usable URL')
  let body: unknown
  let headers: Headers
  try {
    ;({ body, headers } = await fetchJsonResponse(new URL(clientId), {
      timeoutMs: options.timeoutMs ?? CLIENT_DOCUMENT_TIMEOUT_MS,
      maxBytes: MAX_CLIENT_DOCUMENT_BYTES,
    }))
  } catch (error) {
    const why = error instanceof FetchJsonError ? error.problem : 'unreachable'
    throw new OAuthError('invalid_client', `the client metadata document could not be used (${why})`, {
      cause: error,
    })
  }
  const parsed = document.safeParse(body)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new OAuthError(
      'invalid_client',
      `client metadata document: ${issue?.path.join('.') || 'body'}: ${issue?.message}`,
    )
  }
  const d = parsed.data
  if (d.client_id !== clientId) throw new OAuthError('invalid_client', 'the document names another client_id')
  for (const uri of d.redirect_uris) {
    const problem = redirectUriProblem(uri)
    if (problem !== undefined) throw new OAuthError('invalid_client', `client metadata document: ${problem}`)
  }
  const metadata: ClientMetadata = {
    redirectUris: [...new Set(d.redirect_uris)],
    clientName: d.client_name ?? new URL(clientId).host,
    tokenEndpointAuthMethod: 'none',
    clientUri: d.client_uri,
    logoUri: d.logo_uri,
    scope: undefined,
  }
  return { metadata, headers }
}
