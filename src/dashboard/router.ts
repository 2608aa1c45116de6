import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import express, { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express'
import * as z from 'zod'
import { credentialsSchema } from '../api-fields.js'
import { actorFor, dashboardSignIn, keyJson, parseRequest, type Service, signOut } from '../service/index.js'
import { requestMeta } from '../wire/request-meta.js'
import {
  clearSessionCookie,
  deviceCodeCookieOf,
  ensureCsrfCookie,
  issueCsrfCookie,
  sessionCookieOf,
  setDeviceCodeCookie,
  setSessionCookie,
} from './cookies.js'
import { dashboardCsp } from './csp.js'
import { checkCsrf } from './csrf.js'
import { oauthPages } from './oauth.js'
import {
  auditMain,
  deviceMain,
  keysMain,
  layout,
  type Section,
  sessionsMain,
  signInMain,
  trustedCiMain,
} from './pages.js'
import { dashboardSession } from './session.js'

/**
 * Where the static assets (CSS, page modules) live: next to this module when they were copied
 * there, else in the source tree (`tsc` emits only `.ts`; from `dist/src/dashboard/` the source
 * folder is three levels up). Undefined when neither exists.
 *
 * @example
 * const dir = publicDir() // '/srv/crumb/src/dashboard/public'
 */
export function publicDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [join(here, 'public'), join(here, '..', '..', '..', 'src', 'dashboard', 'public')]
  return candidates.find((dir) => existsSync(join(dir, 'dashboard.css')))
}

/**
 * Plain-JavaScript modules the pages import from the server's own tree, by URL path: the caveat
 * grammar and the problem+json reader. Found in the source tree, or beside the compiled server
 * (`dist/caveats/grammar.js`, `dist/src/wire/read-problem.js`).
 */
const SHARED_MODULES: ReadonlyMap<string, string> = new Map([
  ['/caveats/grammar.js', fileURLToPath(new URL('../../caveats/grammar.js', import.meta.url))],
  ['/wire/read-problem.js', fileURLToPath(new URL('../wire/read-problem.js', import.meta.url))],
])

/**
 * Where to go after signing in: a path on this site, else `/keys` (absent, too long, or could
 * lead elsewhere: `//evil.example`, `https://…`, backslashes, control characters). A page never
 * answers 400 for it: a bad value falls back.
 */
const nextPath = z
  .string()
  .max(512)
  .regex(/^\/(?![/\\])[^\\\s]*$/)
  .catch('/keys')

/**
 * A path on this site to go to after signing in, or `/keys` (see {@link nextPath}).
 *
 * @example
 * safeNext('/device?user_code=WDJB-MJHT') // '/device?user_code=WDJB-MJHT'
 * safeNext('//evil.example') // '/keys'
 */
export function safeNext(next: unknown): string {
  return nextPath.parse(next)
}

/** `GET /sign-in` and `GET /register` query: `next`, where to go once signed in. */
export const signInPageQuery = z.object({ next: nextPath })

/**
 * `GET /device` query: the user code the CLI put in the verification URI, cut to 32 characters;
 * anything else (absent, repeated, nested) is ignored and the page asks for the code.
 */
export const devicePageQuery = z.object({
  user_code: z
    .string()
    .transform((code) => code.slice(0, 32))
    .optional()
    .catch(undefined),
})

/** Headers of every dashboard response: a strict CSP (no inline anything), no caching of pages. */
const contentSecurityPolicy: RequestHandler = dashboardCsp()

function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.set('Cache-Control', 'no-store')
  next()
}

/**
 * The web dashboard, served by the token service itself: pages (`/sign-in`, `/register`,
 * `/keys`, `/sessions`, `/audit`, `/device`), their assets under `/assets/`, and the three
 * form endpoints that handle the session cookie (`POST /dashboard/sign-in`, `/dashboard/sign-out`).
 * Everything else the pages do goes through the documented `/v1` API (see `sessionBridge`).
 *
 * @example
 * app.use(dashboardRoutes(ctx)) // after the /v1 routes, before the 404 handler
 */
export function dashboardRoutes(ctx: Service): Router {
  const router = Router()
  const pageHeaders = [contentSecurityPolicy, noStore]

  const assets = publicDir()
  if (assets === undefined) {
    // the API must not depend on the dashboard: serve it unstyled rather than not start
    ctx.logger.warn('dashboard assets not found; the dashboard pages will not work')
  } else {
    router.use(
      '/assets',
      contentSecurityPolicy,
      express.static(assets, {
        index: false,
        dotfiles: 'ignore',
        redirect: false,
        setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
      }),
    )
  }

  // Modules the pages share with the server, served from where they live (#16 item 5).
  for (const [path, file] of SHARED_MODULES) {
    router.get(path, contentSecurityPolicy, (_req: Request, res: Response, next: NextFunction) => {
      res.sendFile(file, { headers: { 'Cache-Control': 'no-cache' } }, (error) => {
        if (error !== undefined) next()
      })
    })
  }

  const toSignIn = (req: Request, res: Response): void => {
    if (sessionCookieOf(req) !== undefined) clearSessionCookie(req, res)
    res.redirect(303, `/sign-in?next=${encodeURIComponent(safeNext(req.originalUrl))}`)
  }

  const page =
    (section: Section, title: string, script: string, main: (req: Request) => ReturnType<typeof keysMain>) =>
    async (req: Request, res: Response): Promise<void> => {
      const session = await dashboardSession(ctx, req)
      if (session === undefined) {
        toSignIn(req, res)
        return
      }
      ensureCsrfCookie(req, res)
      res
        .type('html')
        .send(layout({ title, script, email: session.user.email, section, main: main(req) }).value)
    }

  router.get('/', noStore, async (req: Request, res: Response) => {
    res.redirect(303, (await dashboardSession(ctx, req)) === undefined ? '/sign-in' : '/keys')
  })
  router.get(
    '/keys',
    pageHeaders,
    page('keys', 'Keys', 'keys.js', () => keysMain(ctx.config.unusedKeyTtlMs)),
  )
  router.get('/sessions', pageHeaders, page('sessions', 'Sessions', 'sessions.js', sessionsMain))
  router.get('/audit', pageHeaders, page('audit', 'Audit log', 'audit.js', auditMain))
  router.get('/trusted-ci', pageHeaders, page('trusted-ci', 'Trusted CI', 'trusted-ci.js', trustedCiMain))
  // the device flow's verification URI: `/device?user_code=WDJB-MJHT` from the CLI
  router.get('/device', pageHeaders, async (req: Request, res: Response) => {
    const given = devicePageQuery.parse(req.query).user_code
    const session = await dashboardSession(ctx, req)
    if (session === undefined) {
      // sign in first, then back here with the code (kept in a cookie, not in the URL)
      if (sessionCookieOf(req) !== undefined) clearSessionCookie(req, res)
      if (given !== undefined) setDeviceCodeCookie(req, res, given, ctx.config.deviceCodeTtlMs)
      res.redirect(303, `/sign-in?next=${encodeURIComponent('/device')}`)
      return
    }
    const remembered = deviceCodeCookieOf(req)
    if (remembered !== undefined) setDeviceCodeCookie(req, res, undefined)
    ensureCsrfCookie(req, res)
    const main = deviceMain(given ?? remembered ?? '')
    res.type('html').send(
      layout({
        title: 'Approve a device',
        script: 'device.js',
        email: session.user.email,
        section: 'device',
        main,
      }).value,
    )
  })

  // the OAuth authorization endpoint and its consent (#19)
  router.use(oauthPages(ctx))

  for (const register of [false, true]) {
    router.get(register ? '/register' : '/sign-in', pageHeaders, async (req: Request, res: Response) => {
      const { next } = signInPageQuery.parse(req.query)
      if ((await dashboardSession(ctx, req)) !== undefined) {
        res.redirect(303, next)
        return
      }
      if (sessionCookieOf(req) !== undefined) clearSessionCookie(req, res)
      ensureCsrfCookie(req, res)
      res.type('html').send(
        layout({
          title: register ? 'Create account' : 'Sign in',
          script: 'sign-in.js',
          mainClass: 'auth',
          main: signInMain({ register, next }),
        }).value,
      )
    })
  }

  router.post('/dashboard/sign-in', noStore, async (req: Request, res: Response) => {
    checkCsrf(req, ctx.config.publicUrl)
    const body = parseRequest(credentialsSchema, req.body, 'body')
    const previous = await dashboardSession(ctx, req)
    const { user, minted } = await dashboardSignIn(ctx, body, previous, requestMeta(req))
    setSessionCookie(req, res, minted.token, ctx.config.sessionTtlMs)
    issueCsrfCookie(req, res) // a new session, a new CSRF value
    res.status(201).json({ user: { id: user.id, email: user.email }, session: keyJson(minted.key) })
  })

  router.post('/dashboard/sign-out', noStore, async (req: Request, res: Response) => {
    checkCsrf(req, ctx.config.publicUrl)
    const session = await dashboardSession(ctx, req)
    if (session !== undefined) {
      await signOut(ctx, session.key, actorFor(session.user, requestMeta(req), session.key.id))
    }
    clearSessionCookie(req, res)
    res.status(204).end()
  })

  return router
}
