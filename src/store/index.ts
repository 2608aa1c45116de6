/**
 * Persistence as the service sees it: the async port ({@link Store}, {@link Transaction}) and the
 * plain records it carries. Engine-free: the engines live in `./sqlite/` and `./postgres/`, and
 * `./open.ts` picks one from the configuration.
 */
export * from './audit.js'
export * from './device-codes.js'
export * from './keys.js'
export * from './oauth.js'
export * from './port.js'
export * from './revocations.js'
export * from './time.js'
export * from './trust-policies.js'
export * from './users.js'
