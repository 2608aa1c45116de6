import express, { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express'
import * as z from 'zod'
import { org } from '../../caveats/org.js'
import { CrumbError } from '../errors.js'
import {
  AuthorizationRedirectError,
  authorizationErrorUrl,
  type ConsentDecision,
  consentView,
  DEFAULT_GRANT_LIFETIME_MS,
  decideAuthorization,
  GRANT_LIFETIMES_MS,
  issuerOf,
  OAuthError,
  type Service,
  startAuthorization,
} from '../service/index.js'
import { requestMeta } from '../wire/request-meta.js'
import { clearSessionCookie, csrfCookieOf, issueCsrfCookie, sessionCookieOf } from './cookies.js'
import { dashboardCsp } from './csp.js'
import { checkCsrfValue } from './csrf.js'
import { type ConsentForm, consentMain, initialConsentForm, oauthErrorMain } from './oauth-pages.js'
import { layout } from './pages.js'
import { dashboardSession } from './session.js'

/** The page's CSP: the dashboard's, with `form-action` admitting the one origin the consent may redirect to. */
function consentPolicy(redirectOrigin: string | undefined): RequestHandler {
  // Chromium applies form-action to the redirect that answers the form post: the client's
  // registered redirect URI must be admitted, or the approval never arrives (DESIGN.md).
  return dashboardCsp(redirectOrigin === undefined ? [] : [redirectOrigin])
}

const run = (handler: RequestHandler, req: Request, res: Response): Promise<void> =>
  new Promise((resolve, reject) =>
    handler(req, res, (error?: unknown) => (error ? reject(error) : resolve())),
  )

/** `POST /oauth/consent` form fields. */
const consentBody = z.object({
  request: z.string().max(64),
  csrf: z.string().max(128),
  decision: z.enum(['approve', 'deny']),
  orgs: z.string().max(1000).default(''),
  apps: z.string().max(1000).default(''),
  read_only: z.literal('true').optional(),
  lifetime: z.coerce
    .number()
    .int()
    .refine((ms) => (GRANT_LIFETIMES_MS as readonly number[]).includes(ms), 'not an offered lifetime')
    .default(DEFAULT_GRANT_LIFETIME_MS),
})

/** Names typed in a narrowing field (comma or space separated); empty: no narrowing. */
function names(text: string, what: 'orgs' | 'apps'): readonly string[] | null {
  const list = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (list.length === 0) return null
  // org and app names share one grammar (caveats/lib/name-list.ts)
  const parsed = org.schema.safeParse(list.join(','))
  if (!parsed.success)
    throw new CrumbError('validation_failed', `${what}: ${list.join(', ')} is not a list of names`)
  return parsed.data
}

/**
 * The OAuth authorization endpoint and its consent page, served by the dashboard (same session
 * cookie, CSRF rules and strict CSP):
 * - `GET /oauth/authorize`: the request is checked and stored, then the browser goes to the
 *   consent; an unknown client or unregistered redirect URI gets an error page, never a redirect;
 *   other errors go back to the client's redirect URI with `error`, `state` and `iss`.
 * - `GET /oauth/consent?request=…`: signs in first (and comes back), then shows the consent.
 * - `POST /oauth/consent`: a form post (CSRF field + Origin); its answer is a 303 to the client.
 *
 * @example
 * router.use(oauthPages(ctx))
 */
export function oauthPages(ctx: Service): Router {
  const router = Router()
  const issuer = (req: Request): string =>
    issuerOf(ctx.config.publicUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`)

  const errorPage = async (req: Request, res: Response, status: number, code: string, text: string) => {
    await run(consentPolicy(undefined), req, res)
    res.set('Cache-Control', 'no-store')
    res
      .status(status)
      .type('html')
      .send(
        layout({ title: 'Cannot authorize', script: 'consent.js', main: oauthErrorMain(code, text) }).value,
      )
  }

  const showConsent = async (
    req: Request,
    res: Response,
    id: string,
    form: ConsentForm | undefined,
    status = 200,
  ): Promise<void> => {
    const session = await dashboardSession(ctx, req)
    if (session === undefined) {
      if (sessionCookieOf(req) !== undefined) clearSessionCookie(req, res)
      res.redirect(303, `/sign-in?next=${encodeURIComponent(`/oauth/consent?request=${id}`)}`)
      return
    }
    let view: Awaited<ReturnType<typeof consentView>>
    try {
      view = await consentView(ctx, id)
    } catch (error) {
      if (!(error instanceof CrumbError)) throw error
      await errorPage(req, res, 400, 'invalid_request', error.message)
      return
    }
    await run(consentPolicy(new URL(view.request.redirectUri).origin), req, res)
    const csrf = csrfCookieOf(req) ?? issueCsrfCookie(req, res)
    res.set('Cache-Control', 'no-store')
    // same-origin, so the form post carries its Origin (no-referrer would send `Origin: null`)
    res.set('Referrer-Policy', 'same-origin')
    res
      .status(status)
      .type('html')
      .send(
        layout({
          title: `Authorize ${view.request.clientName}`,
          script: 'consent.js',
          email: session.user.email,
          main: consentMain(view.request, view.scope, csrf, form ?? initialConsentForm(view.scope)),
          referrer: 'same-origin',
        }).value,
      )
  }

  router.get('/oauth/authorize', async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store')
    try {
      const request = await startAuthorization(ctx, req.query, requestMeta(req))
      res.redirect(303, `/oauth/consent?request=${request.id}`)
    } catch (error) {
      if (error instanceof AuthorizationRedirectError) {
        res.redirect(
          303,
          authorizationErrorUrl(error.redirectUri, error, { state: error.state, iss: issuer(req) }),
        )
        return
      }
      if (error instanceof OAuthError) {
        await errorPage(req, res, 400, error.code, error.message)
        return
      }
      throw error
    }
  })

  router.get('/oauth/consent', async (req: Request, res: Response) => {
    const id = typeof req.query.request === 'string' ? req.query.request.slice(0, 64) : ''
    await showConsent(req, res, id, undefined)
  })

  router.post(
    '/oauth/consent',
    express.urlencoded({ extended: false, limit: 8 * 1024 }),
    async (req: Request, res: Response, next: NextFunction) => {
      res.set('Cache-Control', 'no-store')
      const body = consentBody.safeParse(req.body)
      if (!body.success) {
        await errorPage(req, res, 400, 'invalid_request', 'the consent form was not filled in as offered')
        return
      }
      const session = await dashboardSession(ctx, req)
      if (session === undefined) {
        await showConsent(req, res, body.data.request, undefined)
        return
      }
      try {
        checkCsrfValue(req, ctx.config.publicUrl, body.data.csrf)
      } catch (error) {
        next(error)
        return
      }
      const form: ConsentForm = {
        orgs: body.data.orgs,
        apps: body.data.apps,
        readOnly: body.data.read_only === 'true',
        lifetimeMs: body.data.lifetime,
      }
      try {
        const decision: ConsentDecision = {
          approve: body.data.decision === 'approve',
          orgs: names(form.orgs, 'orgs'),
          apps: names(form.apps, 'apps'),
          readOnly: form.readOnly,
          lifetimeMs: form.lifetimeMs,
        }
        const decided = await decideAuthorization(ctx, session, body.data.request, decision, issuer(req))
        // Chromium checks this redirect against the page's form-action (see consentPolicy)
        res.redirect(303, decided.redirectTo)
      } catch (error) {
        if (error instanceof CrumbError && error.code === 'validation_failed') {
          await showConsent(req, res, body.data.request, { ...form, error: error.message }, 400)
          return
        }
        if (error instanceof CrumbError && error.code === 'not_found') {
          await errorPage(req, res, 400, 'invalid_request', error.message)
          return
        }
        next(error)
      }
    },
  )

  return router
}
