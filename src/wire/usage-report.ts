import * as z from 'zod'
import { keyIdSchema } from './key.js'

/**
 * Last-use reports on the wire (`POST /v1/usage`): verifiers batch and send them, the token
 * service reads them.
 */

/** Longest user agent a report carries (the service keeps no more). */
export const MAX_REPORTED_USER_AGENT = 512

/**
 * One report: a token id was used at a time, from an address, by a program.
 *
 * @example
 * const report: UsageReport = { token_id: 'tok_…', at: new Date().toISOString(), ip: '10.0.0.7', user_agent: 'curl/8' }
 */
export const usageReportSchema = z.object({
  token_id: keyIdSchema,
  at: z.iso.datetime({ offset: true }),
  ip: z
    .union([z.ipv4(), z.ipv6()])
    .nullable()
    .optional()
    .meta({ description: 'the client address the verifier saw (an IPv4 or IPv6 address; #15 item 6)' }),
  user_agent: z.string().max(MAX_REPORTED_USER_AGENT).nullable().optional(),
  ticket: z.string().max(64).optional().meta({
    description: "the token's usage_ticket (from /v1/verify, or computed by a local verifier)",
  }),
})

/** One last-use report (see {@link usageReportSchema}). */
export type UsageReport = z.infer<typeof usageReportSchema>

/**
 * The `POST /v1/usage` body: at most 1000 reports.
 *
 * @example
 * usageBatchSchema.parse({ reports: [report] })
 */
export const usageBatchSchema = z
  .object({ reports: z.array(usageReportSchema).max(1000) })
  .meta({ id: 'UsageRequest' })
