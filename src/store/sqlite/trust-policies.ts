import type BetterSqlite3 from 'better-sqlite3'
import type { TrustPoliciesPort } from '../port.js'
import { toIso } from '../time.js'
import type { TrustPolicyRecord } from '../trust-policies.js'
import { isUniqueViolation } from './errors.js'
import type { Sync } from './sync.js'

/** The synchronous form of `TrustPoliciesPort` over one better-sqlite3 connection. */
export type TrustPoliciesRepo = Sync<TrustPoliciesPort>

interface PolicyRow {
  id: string
  user_id: string
  key_id: string
  name: string
  issuer: string
  audience: string
  conditions: string
  caveats: string
  ttl_ms: number
  created_at: string
  last_exchanged_at: string | null
}

function toPolicy(r: PolicyRow): TrustPolicyRecord {
  return {
    id: r.id,
    userId: r.user_id,
    keyId: r.key_id,
    name: r.name,
    issuer: r.issuer,
    audience: r.audience,
    conditions: JSON.parse(r.conditions) as Record<string, string>,
    caveats: JSON.parse(r.caveats) as string[],
    ttlMs: r.ttl_ms,
    createdAt: r.created_at,
    lastExchangedAt: r.last_exchanged_at,
  }
}

/**
 * Prepare the `trust_policies` and `exchanged_jtis` statements once for `db`.
 *
 * @example
 * const trustPolicies = createTrustPoliciesRepo(db)
 */
export function createTrustPoliciesRepo(db: BetterSqlite3.Database): TrustPoliciesRepo {
  const insertStmt = db.prepare(
    `INSERT INTO trust_policies (id, user_id, key_id, name, issuer, audience, conditions, caveats, ttl_ms, created_at)
     VALUES (@id, @user_id, @key_id, @name, @issuer, @audience, @conditions, @caveats, @ttl_ms, @created_at)`,
  )
  const byId = db.prepare<[string], PolicyRow>('SELECT * FROM trust_policies WHERE id = ?')
  const byUser = db.prepare<[string], PolicyRow>(
    'SELECT * FROM trust_policies WHERE user_id = ? ORDER BY created_at, id',
  )
  const byIssuer = db.prepare<[string], PolicyRow>(
    'SELECT * FROM trust_policies WHERE issuer = ? ORDER BY created_at, id',
  )
  const deleteStmt = db.prepare<[string]>('DELETE FROM trust_policies WHERE id = ?')
  const exchangedStmt = db.prepare<[string, string]>(
    'UPDATE trust_policies SET last_exchanged_at = ? WHERE id = ?',
  )
  const claimStmt = db.prepare<[string, string, string, string, string]>(
    `INSERT INTO exchanged_jtis (issuer, jti, policy_id, exchanged_at, expires_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (issuer, jti) DO NOTHING`,
  )
  const pruneStmt = db.prepare<[string]>('DELETE FROM exchanged_jtis WHERE expires_at <= ?')

  return {
    insert(policy) {
      const rec: TrustPolicyRecord = {
        id: policy.id,
        userId: policy.userId,
        keyId: policy.keyId,
        name: policy.name,
        issuer: policy.issuer,
        audience: policy.audience,
        conditions: { ...policy.conditions },
        caveats: [...policy.caveats],
        ttlMs: policy.ttlMs,
        createdAt: toIso(policy.createdAt),
        lastExchangedAt: null,
      }
      try {
        insertStmt.run({
          id: rec.id,
          user_id: rec.userId,
          key_id: rec.keyId,
          name: rec.name,
          issuer: rec.issuer,
          audience: rec.audience,
          conditions: JSON.stringify(rec.conditions),
          caveats: JSON.stringify(rec.caveats),
          ttl_ms: rec.ttlMs,
          created_at: rec.createdAt,
        })
      } catch (e) {
        if (isUniqueViolation(e)) throw new Error('trust policy id collision', { cause: e })
        throw e
      }
      return rec
    },
    get(id) {
      const r = byId.get(id)
      return r && toPolicy(r)
    },
    listForUser(userId) {
      return byUser.all(userId).map(toPolicy)
    },
    listByIssuer(issuer) {
      return byIssuer.all(issuer).map(toPolicy)
    },
    delete(id) {
      return deleteStmt.run(id).changes > 0
    },
    markExchanged(id, at) {
      return exchangedStmt.run(toIso(at), id).changes > 0
    },
    claimJti(entry) {
      return (
        claimStmt.run(
          entry.issuer,
          entry.jti,
          entry.policyId,
          toIso(entry.exchangedAt),
          toIso(entry.expiresAt),
        ).changes > 0
      )
    },
    pruneJtis(now) {
      return pruneStmt.run(toIso(now)).changes
    },
  }
}
