import type { TrustPoliciesPort } from '../port.js'
import { toIso } from '../time.js'
import type { TrustPolicyRecord } from '../trust-policies.js'
import { isoOf, type Queryable } from './queryable.js'

interface PolicyRow {
  id: string
  user_id: string
  key_id: string
  name: string
  issuer: string
  audience: string
  conditions: Record<string, string>
  caveats: string[]
  ttl_ms: string
  created_at: Date
  last_exchanged_at: Date | null
}

function toPolicy(r: PolicyRow): TrustPolicyRecord {
  return {
    id: r.id,
    userId: r.user_id,
    keyId: r.key_id,
    name: r.name,
    issuer: r.issuer,
    audience: r.audience,
    conditions: r.conditions,
    caveats: r.caveats,
    ttlMs: Number(r.ttl_ms),
    createdAt: isoOf(r.created_at),
    lastExchangedAt: isoOf(r.last_exchanged_at),
  }
}

/**
 * Trust policies and exchanged ID tokens on PostgreSQL. `claimJti` is one `INSERT … ON CONFLICT DO
 * NOTHING`: of two instances exchanging one ID token at once, exactly one inserts the row.
 *
 * @example
 * await postgresTrustPolicies(pool).listByIssuer('https://token.actions.githubusercontent.com')
 */
export function postgresTrustPolicies(q: Queryable): TrustPoliciesPort {
  const list = async (where: string, value: string): Promise<TrustPolicyRecord[]> => {
    const { rows } = await q.query<PolicyRow>(
      `SELECT * FROM trust_policies WHERE ${where} = $1 ORDER BY created_at, id`,
      [value],
    )
    return rows.map(toPolicy)
  }
  return {
    async insert(policy) {
      const { rows } = await q.query<PolicyRow>(
        `INSERT INTO trust_policies (id, user_id, key_id, name, issuer, audience, conditions, caveats, ttl_ms, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [
          policy.id,
          policy.userId,
          policy.keyId,
          policy.name,
          policy.issuer,
          policy.audience,
          JSON.stringify(policy.conditions),
          JSON.stringify(policy.caveats),
          policy.ttlMs,
          toIso(policy.createdAt),
        ],
      )
      const row = rows[0]
      if (row === undefined) throw new Error('trust policy insert returned no row')
      return toPolicy(row)
    },
    async get(id) {
      const { rows } = await q.query<PolicyRow>('SELECT * FROM trust_policies WHERE id = $1', [id])
      return rows[0] && toPolicy(rows[0])
    },
    listForUser: (userId) => list('user_id', userId),
    listByIssuer: (issuer) => list('issuer', issuer),
    async delete(id) {
      const { rowCount } = await q.query('DELETE FROM trust_policies WHERE id = $1', [id])
      return rowCount === 1
    },
    async markExchanged(id, at) {
      const { rowCount } = await q.query('UPDATE trust_policies SET last_exchanged_at = $1 WHERE id = $2', [
        toIso(at),
        id,
      ])
      return rowCount === 1
    },
    async claimJti(entry) {
      const { rowCount } = await q.query(
        `INSERT INTO exchanged_jtis (issuer, jti, policy_id, exchanged_at, expires_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (issuer, jti) DO NOTHING`,
        [entry.issuer, entry.jti, entry.policyId, toIso(entry.exchangedAt), toIso(entry.expiresAt)],
      )
      return rowCount === 1
    },
    async pruneJtis(now) {
      const { rowCount } = await q.query('DELETE FROM exchanged_jtis WHERE expires_at <= $1', [toIso(now)])
      return rowCount ?? 0
    },
  }
}
