/**
 * The web dashboard the token service serves: pages, their assets, the session cookie and the
 * bridge that lets pages call the `/v1` API with it. Mounted by `createApp`.
 */
export { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from './cookies.js'
export { checkCsrf } from './csrf.js'
export { dashboardRoutes, publicDir, safeNext } from './router.js'
export { dashboardSession, sessionBridge } from './session.js'
