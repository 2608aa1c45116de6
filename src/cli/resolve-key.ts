import type { CrumbApi, Key } from './api.js'
import { CliError } from './errors.js'

/** A key reference as commands take it: `tok_…` (an id) or a key name. */
export type KeyRef = string

/**
 * Resolves `ID|NAME` to a key: a `tok_…` id is used as given; otherwise the name must match
 * exactly one active key (`inactive: true` also looks among revoked and expired keys when no
 * active one matches, for `--delete` and `audit`).
 *
 * @example
 * const { id } = await resolveKey(api, 'ci')
 */
export async function resolveKey(
  api: CrumbApi,
  ref: KeyRef,
  options: { inactive?: boolean } = {},
): Promise<{ id: string; key: Key | undefined }> {
  if (/^tok_[A-Za-z0-9_-]+$/.test(ref)) return { id: ref, key: undefined }
  const active = (await api.listKeys()).filter((k) => k.name === ref && k.status === 'active')
  // after a rotation the old key keeps its name through its grace period: the name means the new
  // key (#18 item 6); the old one is still reachable by its id
  const current = active.filter((k) => !k.grace_ends_at)
  let matches = current.length > 0 ? current : active
  if (matches.length === 0 && options.inactive === true) {
    matches = (await api.listKeys({ includeRevoked: true })).filter((k) => k.name === ref)
  }
  const [first, ...rest] = matches
  if (first === undefined) {
    throw new CliError('not_found', `no active key is named ${JSON.stringify(ref)}`, {
      hint: 'see `crumb tokens ls`; a revoked or expired key is referred to by its id (tok_…)',
    })
  }
  if (rest.length > 0) {
    throw new CliError(
      'ambiguous_name',
      `${matches.length} keys are named ${JSON.stringify(ref)}: ${matches.map((k) => k.id).join(', ')}`,
      { hint: 'refer to the key by its id' },
    )
  }
  return { id: first.id, key: first }
}
