import type { CaveatRegistry, Dimension } from '../../caveats/index.js'
import { CrumbError } from '../errors.js'
import type { Check } from '../token/caveat-checks.js'
import type { TokenClaims } from '../token/claims.js'
import type { KeyRing } from '../token/keyring.js'
import type { KeyRingSource } from '../token/keyring-source.js'
import { type RequestFacts, verifyTokenChecked } from '../token/verify.js'
import { type MemoEntry, perRequestChecks, reuse, shareable, TokenMemo } from './memo.js'
import type { RevocationSync } from './revocation-sync.js'

/** Options of a local verifier. */
export interface LocalVerifierOptions {
  readonly keys: KeyRingSource
  /** The feed whose list is checked, and whose revocations drop remembered tokens; none = no revocation checks. */
  readonly sync: RevocationSync | undefined
  readonly registry: CaveatRegistry
  /** Dimensions checked per route (`require`), not here. */
  readonly deferred: ReadonlySet<Dimension>
  readonly leewayMs: number
  /** This service's audience (canonical): `aud` caveats must name it; none refuses them. */
  readonly audience?: string | undefined
  /** Most tokens remembered. Default 10000 (and 4 MiB at most, whatever their size); 0 turns the memo off. */
  readonly max?: number
}

/** What an earlier full verification of one exact token string established. */
interface Remembered extends MemoEntry {
  /** The token itself: a hit counts only when the request presents this exact string. */
  readonly token: string
  /** The ring it verified under (a new ring object — rotation, retirement — means verify again). */
  readonly ring: KeyRing
}

/** Characters of a token's end that key the memo: they encode its last 32 bytes, the signature. */
const MEMO_KEY_CHARS = 43

/**
 * The memo's key for a token: its last characters, which carry the signature. Every request's
 * token is a fresh string, and a Map lookup hashes its whole key: 43 characters instead of a
 * few hundred. The full token is compared on a hit, so two tokens sharing an end never share
 * an entry's verdict.
 */
const memoKey = (token: string): string => token.slice(-MEMO_KEY_CHARS)

/**
 * Local verification with the key ring (`verifyToken`), plus a bounded memo of tokens that fully
 * verified: a service sees the same tokens over and over, and a repeat only needs what can change
 * between requests — the revocation list and the time / device / ip caveats. A repeat that fails any
 * of these goes through `verifyToken` again, so every refusal is the one full verification gives.
 * Entries are dropped when the feed reports a revocation for their token id or replaces the list,
 * and are not used under another key ring.
 *
 * @example
 * const local = new LocalVerifier({ keys: staticKeyRing(ring), sync, registry: defaultRegistry(),
 *   deferred: new Set(['org', 'app', 'op']), leewayMs: 30_000 })
 * const claims = local.verify(token, { ip: '10.1.2.3' }, new Date())
 */
export class LocalVerifier {
  readonly #o: LocalVerifierOptions
  readonly #memo: TokenMemo<Remembered>
  readonly #unsubscribe: () => void

  constructor(options: LocalVerifierOptions) {
    this.#o = options
    const memo = new TokenMemo<Remembered>(options.max ?? 10_000)
    this.#memo = memo
    this.#unsubscribe = options.sync?.subscribe((update) => memo.onFeed(update)) ?? (() => {})
  }

  /** Tokens remembered. */
  get size(): number {
    return this.#memo.size
  }

  /** Stops listening to the feed and forgets every token. */
  close(): void {
    this.#unsubscribe()
    this.#memo.clear()
  }

  /** Verifies a token for a request (device, ip, time; org / app / op are left to `require`). Throws a CrumbError. */
  verify(token: string, facts: RequestFacts, now: Date): TokenClaims {
    const ring = this.#o.keys.current
    const list = this.#o.sync?.list
    const key = memoKey(token)
    const found = this.#memo.get(key)
    const hit = found?.token === token ? found : undefined
    if (hit !== undefined && hit.ring === ring && list?.isTokenRevoked(hit.tokenId, now) !== true) {
      const reused = reuse(hit, facts, now, this.#o.leewayMs)
      // A failed re-check goes through full verification, so every refusal is the one it gives.
      if (!(reused instanceof CrumbError)) return reused
    }
    const { claims, checks } = verifyTokenChecked(token, {
      keys: ring,
      ...(list === undefined ? {} : { revocations: list }),
      request: facts,
      audience: this.#o.audience,
      now,
      leewayMs: this.#o.leewayMs,
      registry: this.#o.registry,
      deferred: this.#o.deferred,
    })
    if (hit === undefined || hit.ring !== ring) this.#remember(key, token, ring, claims, checks)
    return claims
  }

  /** `checks` are the ones verification just ran (every caveat parsed, or it would have thrown). */
  #remember(key: string, token: string, ring: KeyRing, claims: TokenClaims, checks: readonly Check[]): void {
    // Discharges carry caveats of their own that the claims do not list: such tokens are not remembered.
    if (token.includes(',')) return
    // `aud` held once and the audience never changes: a repeat need not check it again.
    const perRequest = perRequestChecks(checks)
    this.#memo.set(
      key,
      {
        token,
        ring,
        tokenId: claims.tokenId,
        claims: shareable(claims),
        checks: perRequest,
      },
      token.length,
    )
  }
}
