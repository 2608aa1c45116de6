import type { RequestContext } from '../../caveats/index.js'

/**
 * A request context at a fixed instant with no leeway, plus overrides.
 *
 * @example
 * org.check(value, context({ org: 'acme' }))
 */
export function context(overrides: Partial<RequestContext> = {}): RequestContext {
  return { now: new Date('2026-06-01T00:00:00Z'), leewayMs: 0, ...overrides }
}
