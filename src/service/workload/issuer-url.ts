import { isIP } from 'node:net'

/**
 * Which OIDC issuer URLs crumb will talk to (DESIGN.md, "Workload identity"): https only; plain
 * http only on a loopback host, and only when the operator allows it
 * (`CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS=true`, for development and tests). The same rule holds for
 * the `jwks_uri` an issuer's discovery document names, so a trusted issuer cannot send crumb to
 * an http address elsewhere.
 */

/** Longest issuer or JWKS URL accepted. */
export const MAX_ISSUER_URL_LENGTH = 512

/** Options of {@link checkIssuerUrl}. */
export interface IssuerUrlOptions {
  /** Admit `http://` on a loopback host (`CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS=true`). */
  readonly allowLoopback: boolean
}

/**
 * True for `localhost`, `127.0.0.0/8` and `::1`, the hosts that never leave the machine.
 *
 * @example
 * isLoopbackHost('127.0.0.1') // true
 * isLoopbackHost('[::1]') // true
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return isIP(host) === 6 && host === '::1'
}

/**
 * Why `text` is not an acceptable issuer (or JWKS) URL, or `undefined` when it is. The URL must
 * parse, carry no credentials and no fragment, and be https (or loopback http when allowed).
 *
 * @example
 * issuerUrlProblem('https://token.actions.githubusercontent.com', { allowLoopback: false }) // undefined
 * issuerUrlProblem('http://issuer.example', { allowLoopback: true }) // 'must be https (…)'
 */
export function issuerUrlProblem(text: string, options: IssuerUrlOptions): string | undefined {
  if (text.length > MAX_ISSUER_URL_LENGTH) return `must be at most ${MAX_ISSUER_URL_LENGTH} characters`
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'must be an absolute URL'
  }
  if (url.username !== '' || url.password !== '') return 'must not carry credentials'
  if (url.hash !== '' || text.includes('#')) return 'must not have a fragment'
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
    return options.allowLoopback
      ? undefined
      : 'http is accepted only on a loopback host with CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS=true'
  }
  return 'must be https (http only on a loopback host with CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS=true)'
}

/**
 * Reads `CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS` (only the exact text `true` turns it on).
 *
 * @example
 * allowLoopbackIssuers(process.env) // false unless CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS=true
 */
export function allowLoopbackIssuers(env: NodeJS.ProcessEnv): boolean {
  return env.CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS === 'true'
}
