import type { NextFunction, Request, RequestHandler, Response } from 'express'
import * as z from 'zod'
import { canonicalAudience } from '../../caveats/lib/audience.js'
import { CrumbError } from '../errors.js'

/** The well-known path of RFC 9728 (§3): the resource's own path, if any, is appended to it. */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource'

/**
 * Options of `protectedResource()`.
 *
 * @example
 * const options: ProtectedResourceOptions = {
 *   resource: 'https://deploy.example',
 *   authorizationServers: ['https://crumb.example'],
 *   scopesSupported: ['read', 'deploy'],
 * }
 */
export interface ProtectedResourceOptions {
  /** The resource identifier (RFC 8707): https, or http on a loopback host; no fragment. */
  readonly resource: string
  /** Issuer URLs of the authorization servers that mint tokens for it (the crumb token service). */
  readonly authorizationServers: readonly string[]
  /** Scopes clients may ask for (`read`, `write`, `deploy`, `org:NAME`, `app:NAME`). */
  readonly scopesSupported?: readonly string[]
  /** A human-readable name, shown by clients. */
  readonly resourceName?: string
  /** A page documenting the resource for developers. */
  readonly resourceDocumentation?: string
}

/** The RFC 9728 document served. */
export interface ProtectedResourceMetadata {
  readonly resource: string
  readonly authorization_servers: readonly string[]
  readonly bearer_methods_supported: readonly string[]
  readonly scopes_supported?: readonly string[]
  readonly resource_name?: string
  readonly resource_documentation?: string
}

/**
 * The middleware `protectedResource()` returns: it answers the metadata requests and passes every
 * other request on; its properties say where the document lives.
 *
 * @example
 * const resource: ProtectedResource = crumb.protectedResource(options)
 * resource.metadataUrl // 'https://deploy.example/.well-known/oauth-protected-resource'
 */
export interface ProtectedResource extends RequestHandler {
  /** The resource identifier, canonical (what `verifier({ audience })` compares with). */
  readonly resource: string
  /** Where the metadata document is served: the `resource_metadata` of 401 challenges. */
  readonly metadataUrl: string
  /**
   * The paths it answers (the RFC 9728 path, and the bare well-known path): mount it on them,
   * `app.get(resource.paths, resource)`, and no other request runs it.
   */
  readonly paths: readonly string[]
  readonly metadata: ProtectedResourceMetadata
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

const isLoopback = (url: URL): boolean => LOOPBACK.has(url.hostname) || url.hostname.endsWith('.localhost')

const httpsOrLoopback = (what: string) =>
  z
    .string()
    .trim()
    .refine((s) => URL.canParse(s), `${what} must be an absolute URL`)
    .refine((s) => {
      const url = new URL(s)
      return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url))
    }, `${what} must be https (or http on a loopback host)`)
    .refine((s) => !s.includes('#'), `${what} must have no fragment`)

const schema = z
  .object({
    resource: httpsOrLoopback('resource').refine(
      (s) => new URL(s).search === '',
      'resource must have no query',
    ),
    authorizationServers: z.array(httpsOrLoopback('authorization server')).min(1),
    scopesSupported: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'not a scope token')).optional(),
    resourceName: z.string().min(1).max(200).optional(),
    resourceDocumentation: httpsOrLoopback('resource documentation').optional(),
  })
  .strict()

/** Metadata URLs by canonical resource, so a verifier with that audience points its 401s at them. */
const registered = new Map<string, string>()

/**
 * The metadata URL of the protected resource registered for an audience, if any: what the
 * verifier's 401 challenges point to (`resource_metadata`).
 *
 * @example
 * resourceMetadataFor('https://deploy.example') // 'https://deploy.example/.well-known/oauth-protected-resource'
 */
export function resourceMetadataFor(audience: string): string | undefined {
  return registered.get(audience)
}

/** Pointers noted by a verifier for requests it let through without a token (`credentialsRequired: false`). */
const noted = new WeakMap<Request, string>()

/** Remembers the metadata URL a later 401 for this request (from `require`) should point to. */
export function noteResourceMetadata(req: Request, url: string): void {
  noted.set(req, url)
}

/** The metadata URL noted for a request, if any. */
export function notedResourceMetadata(req: Request): string | undefined {
  return noted.get(req)
}

/** `origin + /.well-known/oauth-protected-resource + path` (RFC 9728 §3.1: the path is kept, trailing slash included). */
function metadataPathOf(resource: URL): string {
  return resource.pathname === '/'
    ? PROTECTED_RESOURCE_WELL_KNOWN
    : PROTECTED_RESOURCE_WELL_KNOWN + resource.pathname
}

/**
 * Serves the OAuth 2.0 Protected Resource Metadata of RFC 9728 for a service that takes crumb
 * access tokens: `GET /.well-known/oauth-protected-resource` (followed by the resource's path when
 * it has one, e.g. `/.well-known/oauth-protected-resource/mcp` for `https://api.example/mcp`; that
 * resource is served at the bare path too, where clients of earlier MCP revisions look). The document
 * names the resource, its authorization servers (the crumb token service) and its scopes, with CORS
 * open so browser-based clients can read it. A `verifier({ audience })` whose audience is this
 * resource then answers 401 with `WWW-Authenticate: Bearer error="invalid_token",
 * resource_metadata="<metadataUrl>"`, the pointer MCP clients follow to find where to sign in.
 * Options are checked now (throws `validation_failed`). Other requests pass straight on: mount it
 * before the verifier, so the metadata needs no token (`app.use(resource)`, or
 * `app.get(resource.paths, resource)` to keep it off every other request's path).
 *
 * @example
 * import * as crumb from 'crumb/express'
 * const resource = crumb.protectedResource({ resource: 'https://deploy.example',
 *   authorizationServers: ['https://crumb.example'], scopesSupported: ['read', 'deploy'] })
 * app.use(resource)
 * app.use(crumb.verifier({ keys, audience: resource.resource, server, serviceToken }))
 */
export function protectedResource(options: ProtectedResourceOptions): ProtectedResource {
  const parsed = schema.safeParse(options)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`)
    throw new CrumbError(
      'validation_failed',
      `crumb.protectedResource: invalid options (${issues.join('; ')})`,
    )
  }
  const o = parsed.data
  const url = new URL(o.resource)
  const resource = canonicalAudience(o.resource)
  const metadata: ProtectedResourceMetadata = Object.freeze({
    resource,
    authorization_servers: Object.freeze([...o.authorizationServers]),
    bearer_methods_supported: Object.freeze(['header']),
    ...(o.scopesSupported === undefined ? {} : { scopes_supported: Object.freeze([...o.scopesSupported]) }),
    ...(o.resourceName === undefined ? {} : { resource_name: o.resourceName }),
    ...(o.resourceDocumentation === undefined ? {} : { resource_documentation: o.resourceDocumentation }),
  })
  const path = metadataPathOf(url)
  const metadataUrl = url.origin + path
  const body = JSON.stringify(metadata)
  registered.set(resource, metadataUrl)

  const paths = Object.freeze(
    path === PROTECTED_RESOURCE_WELL_KNOWN ? [path] : [path, PROTECTED_RESOURCE_WELL_KNOWN],
  )

  const handle = (req: Request, res: Response, next: NextFunction): void => {
    if (!paths.includes(req.path)) {
      next()
      return
    }
    res.setHeader('Access-Control-Allow-Origin', '*')
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET')
      res.status(204).end()
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next()
      return
    }
    res.setHeader('Cache-Control', 'public, max-age=300')
    res.type('application/json').send(body)
  }
  return Object.assign(handle, { resource, metadataUrl, paths, metadata })
}
