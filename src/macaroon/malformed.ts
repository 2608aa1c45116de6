import { CrumbError } from '../errors.js'

/** The error for input that is not a well-formed macaroon. Never echoes the input. */
export function malformed(reason: string): CrumbError {
  return new CrumbError('invalid_token', `malformed macaroon: ${reason}`)
}
