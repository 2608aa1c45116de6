import { type CaveatRegistry, defaultRegistry } from '../../caveats/index.js'
import { CrumbError } from '../errors.js'
import { decodeToken, encodeToken } from './format.js'

/**
 * Narrows a token offline: appends first-party caveats. Needs no secret and no server; the
 * result can only admit less than the input. Each caveat must parse with the registry, so a
 * typo fails here rather than locking the token out later.
 *
 * @example
 * const ci = attenuate(rootToken, ['org = acme', 'app = web', 'ops = deploy', 'expires = 2026-12-31T00:00:00Z'])
 */
export function attenuate(
  token: string,
  caveats: readonly string[],
  options: { registry?: CaveatRegistry } = {},
): string {
  const registry = options.registry ?? defaultRegistry()
  // Indexes rather than split-and-destructure and entries(): this is most of attenuate's own time.
  const comma = token.indexOf(',')
  const m = decodeToken(comma === -1 ? token : token.slice(0, comma))
  for (let i = 0; i < caveats.length; i++) {
    const text = caveats[i]!
    try {
      registry.parseCaveat(text)
    } catch (e) {
      throw new CrumbError(
        'validation_failed',
        `caveat ${i} (${text}) is not valid: ${(e as Error).message}`,
        {
          cause: e,
          caveatIndex: i,
          caveat: text,
        },
      )
    }
  }
  // Discharges are bound to the primary's signature, which just changed: rebinding needs the
  // unbound discharges, so attenuating a token that travels with discharges is refused.
  if (comma !== -1) {
    throw new CrumbError('validation_failed', 'attenuate the primary token before binding its discharges')
  }
  return encodeToken(m.addFirstPartyCaveats(caveats))
}
