/**
 * The web dashboard the token service serves: pages, their assets, the session cookie and the
 * bridge that lets pages call the `/v1` API with it. Mounted by `createApp`.
 */
export { dashboardRoutes, safeNext } from './router.js'
export { sessionBridge } from './session.js'
