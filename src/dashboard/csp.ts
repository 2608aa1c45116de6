import type { RequestHandler } from 'express'
import helmet from 'helmet'

/**
 * The dashboard's Content-Security-Policy: nothing inline, nothing from elsewhere, no framing.
 * `formAction` lists where forms may post; the OAuth consent adds the one origin its answer
 * redirects to (Chromium applies form-action to that redirect too).
 *
 * @example
 * router.get('/keys', dashboardCsp(), page)
 * router.get('/oauth/consent', dashboardCsp(['http://127.0.0.1:53123']), consent)
 */
export function dashboardCsp(alsoFormAction: readonly string[] = []): RequestHandler {
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      manifestSrc: ["'self'"],
      formAction: ["'self'", ...alsoFormAction],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
    },
  })
}
