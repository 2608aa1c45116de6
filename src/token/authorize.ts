import { CrumbError } from '../errors.js'
import type { TokenClaims } from './claims.js'

/** What a route asks of a token: the op it performs and the org / app it names. */
export interface RouteScope {
  readonly op?: string
  readonly org?: string
  readonly app?: string
}

function admit(allowed: readonly string[] | null, wanted: string | undefined, what: string): void {
  if (allowed === null) return
  if (wanted === undefined) {
    // Fail closed: the token is limited on a dimension this route does not name.
    throw new CrumbError(
      'caveat_failed',
      `token is limited to ${what} ${allowed.join(',')}; this route names no ${what}`,
    )
  }
  if (!allowed.includes(wanted)) {
    throw new CrumbError('insufficient_scope', `token does not admit ${what} ${wanted}`)
  }
}

/**
 * Checks a route against the scope of already verified claims (the dimensions verifyToken was
 * told to defer). Throws `insufficient_scope` or `caveat_failed`.
 *
 * @example
 * authorizeScope(req.crumb, { op: 'deploy', org: 'acme', app: 'web' })
 */
export function authorizeScope(claims: TokenClaims, route: RouteScope): void {
  admit(claims.ops, route.op, 'op')
  admit(claims.orgs, route.org, 'org')
  admit(claims.apps, route.app, 'app')
}
