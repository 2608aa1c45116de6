/**
 * crumb — capability tokens built on macaroons. The package root is the offline library: it
 * never loads express, better-sqlite3 or pino.
 *
 * @example
 * import { attenuate, inspectToken } from 'crumb'
 * const ci = attenuate(token, ['org = acme', 'ops = deploy'])
 */
export * from '../caveats/index.js'
export { CrumbError, ERROR_CODES, type ErrorCode, isCrumbError } from './errors.js'
export * from './macaroon/index.js'
export * from './token/index.js'
