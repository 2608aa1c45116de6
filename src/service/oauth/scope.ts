import { app } from '../../../caveats/app.js'
import { ops } from '../../../caveats/ops.js'
import { org } from '../../../caveats/org.js'
import { OAuthError } from './errors.js'

/** The operations a scope can name, in the order they are shown and written. */
export const SCOPE_OPS = ['read', 'write', 'deploy'] as const

/** One of {@link SCOPE_OPS}. */
export type ScopeOp = (typeof SCOPE_OPS)[number]

/** Longest scope string accepted, and most words in it. */
export const MAX_SCOPE_LENGTH = 2048
export const MAX_SCOPE_WORDS = 64

/**
 * A parsed OAuth scope: each dimension lists what it admits, or is null when the scope names none
 * of it (unrestricted on that dimension).
 */
export interface OAuthScope {
  readonly ops: readonly ScopeOp[] | null
  readonly orgs: readonly string[] | null
  readonly apps: readonly string[] | null
}

const isOp = (word: string): word is ScopeOp => (SCOPE_OPS as readonly string[]).includes(word)

/** `org:NAME` / `app:NAME` with NAME as its caveat kind accepts it, else undefined. */
function named(word: string, prefix: 'org:' | 'app:'): string | undefined {
  if (!word.startsWith(prefix)) return undefined
  const kind = prefix === 'org:' ? org : app
  const parsed = kind.schema.safeParse(word.slice(prefix.length))
  // The kinds take comma lists; a scope word names one.
  return parsed.success && parsed.data.length === 1 ? parsed.data[0] : undefined
}

const add = <T>(list: T[] | null, value: T): T[] => {
  const out = list ?? []
  if (!out.includes(value)) out.push(value)
  return out
}

/**
 * Parses a space-separated OAuth scope (RFC 6749 §3.3): `read`, `write`, `deploy` (ops), `org:NAME`,
 * `app:NAME`. Words may repeat and come in any order. An unknown word, a malformed name or an
 * over-long scope throws `invalid_scope`. The empty scope is unrestricted on every dimension:
 * callers decide what an omitted scope means.
 *
 * @example
 * parseScope('read deploy org:acme') // { ops: ['read', 'deploy'], orgs: ['acme'], apps: null }
 */
export function parseScope(text: string): OAuthScope {
  if (text.length > MAX_SCOPE_LENGTH) throw new OAuthError('invalid_scope', 'the scope is too long')
  const words = text.split(' ').filter((w) => w !== '')
  if (words.length > MAX_SCOPE_WORDS) throw new OAuthError('invalid_scope', 'the scope has too many words')
  let opsOut: ScopeOp[] | null = null
  let orgs: string[] | null = null
  let apps: string[] | null = null
  for (const word of words) {
    if (isOp(word)) {
      opsOut = add(opsOut, word)
      continue
    }
    const orgName = named(word, 'org:')
    if (orgName !== undefined) {
      orgs = add(orgs, orgName)
      continue
    }
    const appName = named(word, 'app:')
    if (appName !== undefined) {
      apps = add(apps, appName)
      continue
    }
    // The word is not echoed whole: it is attacker-chosen text.
    throw new OAuthError('invalid_scope', `unknown scope word ${JSON.stringify(word.slice(0, 40))}`)
  }
  return {
    ops: opsOut === null ? null : SCOPE_OPS.filter((op) => opsOut.includes(op)),
    orgs,
    apps,
  }
}

/**
 * The canonical scope string: ops in `read write deploy` order, then `org:` and `app:` words.
 *
 * @example
 * formatScope({ ops: ['deploy', 'read'], orgs: ['acme'], apps: null }) // 'read deploy org:acme'
 */
export function formatScope(scope: OAuthScope): string {
  const words: string[] = []
  if (scope.ops !== null) words.push(...SCOPE_OPS.filter((op) => scope.ops?.includes(op)))
  for (const name of scope.orgs ?? []) words.push(`org:${name}`)
  for (const name of scope.apps ?? []) words.push(`app:${name}`)
  return words.join(' ')
}

/**
 * The caveats that confine a token to a scope: `ops = …`, `org = …`, `app = …` for each dimension the
 * scope restricts. A scope restricted to nothing on a dimension (an empty intersection) throws
 * `invalid_scope`: it would grant nothing.
 *
 * @example
 * scopeCaveats(parseScope('read org:acme')) // ['ops = read', 'org = acme']
 */
export function scopeCaveats(scope: OAuthScope): string[] {
  if (admitsNothing(scope)) throw new OAuthError('invalid_scope', 'the scope admits nothing')
  const out: string[] = []
  if (scope.ops !== null) out.push(`ops = ${ops.format(scope.ops)}`)
  if (scope.orgs !== null) out.push(`org = ${org.format(scope.orgs)}`)
  if (scope.apps !== null) out.push(`app = ${app.format(scope.apps)}`)
  return out
}

/**
 * Whether a scope restricts some dimension to nothing.
 *
 * @example
 * admitsNothing(intersectScope(parseScope('read'), parseScope('write'))) // true
 */
export function admitsNothing(scope: OAuthScope): boolean {
  return scope.ops?.length === 0 || scope.orgs?.length === 0 || scope.apps?.length === 0
}

function intersectList<T>(a: readonly T[] | null, b: readonly T[] | null): readonly T[] | null {
  if (a === null) return b
  if (b === null) return a
  return a.filter((x) => b.includes(x))
}

/**
 * What two scopes admit together: the consent narrows the request, a refresh narrows the grant.
 * Never wider than either.
 *
 * @example
 * intersectScope(parseScope('read write'), parseScope('read org:acme')) // { ops: ['read'], orgs: ['acme'], apps: null }
 */
export function intersectScope(a: OAuthScope, b: OAuthScope): OAuthScope {
  return {
    ops: intersectList(a.ops, b.ops) as readonly ScopeOp[] | null,
    orgs: intersectList(a.orgs, b.orgs),
    apps: intersectList(a.apps, b.apps),
  }
}

/**
 * Whether `inner` admits nothing that `outer` does not (a refresh may ask for less, never more).
 *
 * @example
 * isScopeWithin(parseScope('read'), parseScope('read write')) // true
 */
export function isScopeWithin(inner: OAuthScope, outer: OAuthScope): boolean {
  const within = <T>(i: readonly T[] | null, o: readonly T[] | null): boolean =>
    o === null || i?.every((x) => o.includes(x)) === true
  return within(inner.ops, outer.ops) && within(inner.orgs, outer.orgs) && within(inner.apps, outer.apps)
}

const OP_WORDS: Record<ScopeOp, string> = {
  read: 'see your orgs, apps and their status',
  write: 'change and delete apps',
  deploy: 'deploy apps',
}

/**
 * The scope in words for the consent page, one line per dimension.
 *
 * @example
 * describeScope(parseScope('read deploy org:acme'))
 * // ['It can: see your orgs, apps and their status; deploy apps', 'In orgs: acme', 'In apps: all apps']
 */
export function describeScope(scope: OAuthScope): string[] {
  const can =
    scope.ops === null
      ? 'everything your account can do (read, write and deploy)'
      : scope.ops.length === 0
        ? 'nothing'
        : scope.ops.map((op) => OP_WORDS[op]).join('; ')
  const list = (names: readonly string[] | null, every: string): string =>
    names === null ? every : names.length === 0 ? 'none' : names.join(', ')
  return [
    `It can: ${can}`,
    `In orgs: ${list(scope.orgs, 'every org')}`,
    `In apps: ${list(scope.apps, 'all apps')}`,
  ]
}
