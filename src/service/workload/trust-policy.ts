import * as z from 'zod'
import type { CaveatRegistry } from '../../../caveats/registry.js'
import { defaultRegistry } from '../../../caveats/registry.js'
import { keyNameSchema } from '../../api-fields.js'
import { durationSchema } from '../../duration.js'
import { MAX_PATTERN_LENGTH, matchesPattern } from './claim-pattern.js'
import { issuerUrlProblem } from './issuer-url.js'

/**
 * Trust policies (DESIGN.md, "Workload identity"): which CI jobs may exchange their OIDC ID token
 * for a crumb token, and what that token may do. A policy names an issuer and an audience (both
 * matched exactly by the ID token's verification), claim conditions (exact or `*` glob, see
 * {@link matchesPattern}), the caveats of the tokens it mints and their lifetime.
 */

/** Lifetime of an exchanged token when the policy names none: 15 minutes. */
export const DEFAULT_POLICY_TTL_MS = 15 * 60_000
/** Longest lifetime a policy may give: one hour. */
export const MAX_POLICY_TTL_MS = 60 * 60_000
/** Shortest lifetime a policy may give: one minute. */
export const MIN_POLICY_TTL_MS = 60_000
/** Most conditions in one policy. */
export const MAX_CONDITIONS = 32
/** Most caveats in one policy. */
export const MAX_POLICY_CAVEATS = 32

/** Claims verified by the ID token check itself, which do not count as a condition of their own. */
const TOKEN_CLAIMS = new Set(['iss', 'aud'])

/** A claim name: `repository`, `ref`, `job_workflow_ref`, `namespace_path` … */
const claimNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'a claim name such as repository or ref')

/** A pattern: printable text, at most {@link MAX_PATTERN_LENGTH} characters. */
const patternSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_PATTERN_LENGTH, `at most ${MAX_PATTERN_LENGTH} characters`)
  .regex(/^[^\p{Cc}]+$/u, 'no control characters')

/** Options of {@link trustPolicyInputSchema}. */
export interface TrustPolicySchemaOptions {
  /** Admit http issuers on a loopback host (`CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS=true`). */
  readonly allowLoopbackIssuers: boolean
  /** Registry the caveats are checked with. Default: the built-in kinds. */
  readonly registry?: CaveatRegistry
}

/**
 * The zod schema of a new policy (`POST /v1/trust-policies` body). `ttl` is a duration (`15m`) or
 * milliseconds, default 15 minutes, at most one hour; at least one condition must be on a claim
 * other than `iss` and `aud`, with something besides `*` in it; every caveat must parse in the
 * caveat language.
 *
 * @example
 * trustPolicyInputSchema({ allowLoopbackIssuers: false }).parse({
 *   name: 'deploy web', issuer: 'https://token.actions.githubusercontent.com',
 *   audience: 'https://crumb.example', conditions: { repository: 'acme/web', ref: 'refs/heads/main' },
 *   caveats: ['org = acme', 'app = web', 'ops = deploy'] }).ttlMs // 900000
 */
export function trustPolicyInputSchema(options: TrustPolicySchemaOptions) {
  const registry = options.registry ?? defaultRegistry()
  return z
    .object({
      name: keyNameSchema,
      issuer: z.string().superRefine((issuer, ctx) => {
        const problem = issuerUrlProblem(issuer, { allowLoopback: options.allowLoopbackIssuers })
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
      }),
      audience: z.string().min(1, 'must not be empty').max(512, 'at most 512 characters'),
      conditions: z
        .record(claimNameSchema, patternSchema)
        .refine((c) => Object.keys(c).length <= MAX_CONDITIONS, `at most ${MAX_CONDITIONS} conditions`)
        .refine(
          (c) =>
            Object.entries(c).some(([claim, pattern]) => !TOKEN_CLAIMS.has(claim) && /[^*]/.test(pattern)),
          'at least one condition on a claim besides iss and aud (e.g. repository), not just *',
        ),
      caveats: z
        .array(
          z.string().superRefine((text, ctx) => {
            try {
              registry.parseCaveat(text)
            } catch (error) {
              ctx.addIssue({ code: 'custom', message: (error as Error).message })
            }
          }),
        )
        .max(MAX_POLICY_CAVEATS, `at most ${MAX_POLICY_CAVEATS} caveats`)
        .default([]),
      ttl: durationSchema({ min: MIN_POLICY_TTL_MS, max: MAX_POLICY_TTL_MS }).optional(),
    })
    .transform(({ ttl, ...rest }) => ({ ...rest, ttlMs: ttl ?? DEFAULT_POLICY_TTL_MS }))
}

/** A new policy once its input is parsed. */
export type TrustPolicyInput = z.output<ReturnType<typeof trustPolicyInputSchema>>

/** What a policy checks of an ID token (a stored policy has these and more). */
export interface TrustPolicyRules {
  readonly issuer: string
  readonly audience: string
  readonly conditions: Readonly<Record<string, string>>
}

/** A claim meets a pattern; an array claim (`aud`) when one of its members does. */
function claimMeets(pattern: string, value: unknown): boolean {
  if (Array.isArray(value)) return value.some((member) => matchesPattern(pattern, member))
  return matchesPattern(pattern, value)
}

/**
 * Whether verified claims meet a policy: same issuer, the policy's audience among `aud`, every
 * condition met. A condition on a claim the token lacks is not met (fail closed).
 *
 * @example
 * policyAdmits(policy, { iss, aud: 'https://crumb.example', repository: 'acme/web', ref: 'refs/heads/main' })
 */
export function policyAdmits(policy: TrustPolicyRules, claims: Readonly<Record<string, unknown>>): boolean {
  if (claims.iss !== policy.issuer) return false
  const aud = claims.aud
  const audiences = Array.isArray(aud) ? aud : [aud]
  if (!audiences.includes(policy.audience)) return false
  return Object.entries(policy.conditions).every(
    ([claim, pattern]) => Object.hasOwn(claims, claim) && claimMeets(pattern, claims[claim]),
  )
}

/**
 * The first policy (in the order given) that admits the claims, or `undefined`.
 *
 * @example
 * const policy = firstAdmitting(policiesOfIssuer, claims) ?? fail('no_matching_policy')
 */
export function firstAdmitting<P extends TrustPolicyRules>(
  policies: readonly P[],
  claims: Readonly<Record<string, unknown>>,
): P | undefined {
  return policies.find((policy) => policyAdmits(policy, claims))
}
