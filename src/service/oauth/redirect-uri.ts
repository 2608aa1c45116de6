/** Longest redirect URI accepted. */
export const MAX_REDIRECT_URI_LENGTH = 2000

/** Host names that are the loopback interface (RFC 8252 §7.3, and `localhost` as clients use it). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost'])

/**
 * Whether a URL's host is the loopback interface.
 *
 * @example
 * isLoopbackHost(new URL('http://127.0.0.1:53123/cb')) // true
 */
export function isLoopbackHost(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname)
}

/**
 * Why a redirect URI is refused, or undefined when it may be registered: an absolute `https` URL,
 * or `http` on a loopback host (any port, RFC 8252 §7.3); no fragment, no user info, at most
 * {@link MAX_REDIRECT_URI_LENGTH} characters.
 *
 * @example
 * redirectUriProblem('http://127.0.0.1:8976/callback') // undefined
 * redirectUriProblem('http://app.example/callback')    // 'http is allowed only on a loopback host …'
 */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.length === 0 || uri.length > MAX_REDIRECT_URI_LENGTH) return 'redirect URI is empty or too long'
  if (uri !== uri.trim() || /\s/.test(uri)) return 'redirect URI holds whitespace'
  if (!URL.canParse(uri)) return 'redirect URI is not an absolute URL'
  const url = new URL(uri)
  if (uri.includes('#')) return 'redirect URI must not have a fragment'
  if (url.username !== '' || url.password !== '') return 'redirect URI must not hold user info'
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && isLoopbackHost(url)) return undefined
  if (url.protocol === 'http:') return 'http is allowed only on a loopback host (127.0.0.1, [::1], localhost)'
  return 'redirect URI must be https, or http on a loopback host'
}

/**
 * Whether a redirect URI presented in a request is one the client registered: exact string
 * equality, except that a loopback `http` URI matches at any port (RFC 8252 §7.3; native apps
 * listen on a port the system picks). Scheme, host, path and query must still match exactly.
 *
 * @example
 * redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:53123/cb') // true
 * redirectUriMatches('https://app.example/cb', 'https://app.example/cb/') // false
 */
export function redirectUriMatches(registered: string, presented: string): boolean {
  if (registered === presented) return true
  if (redirectUriProblem(registered) !== undefined || redirectUriProblem(presented) !== undefined)
    return false
  const a = new URL(registered)
  const b = new URL(presented)
  if (a.protocol !== 'http:' || b.protocol !== 'http:' || !isLoopbackHost(a)) return false
  // Everything but the port, compared as written: rebuild both without it.
  a.port = ''
  b.port = ''
  return a.href === b.href && stripPort(registered) === stripPort(presented)
}

/** The URI text without its `:port` after the host (so `http://127.0.0.1:80/cb` is not normalised away). */
function stripPort(uri: string): string {
  return uri.replace(/^(http:\/\/(?:\[[^\]]*\]|[^/:?#]*))(?::\d*)?/i, '$1')
}

/**
 * The registered redirect URI a request's `redirect_uri` designates, or undefined: with none given,
 * the client's only one (RFC 6749 §3.1.2.3); given, one it matches ({@link redirectUriMatches}).
 * The answer is the presented URI (its port included), which is where the code is sent.
 *
 * @example
 * resolveRedirectUri(['https://app.example/cb'], undefined) // 'https://app.example/cb'
 */
export function resolveRedirectUri(
  registered: readonly string[],
  presented: string | undefined,
): string | undefined {
  if (presented === undefined) return registered.length === 1 ? registered[0] : undefined
  return registered.some((r) => redirectUriMatches(r, presented)) ? presented : undefined
}
