import * as z from 'zod'

/**
 * The revocation feed on the wire (`GET /v1/revocations?since=&wait=`, DESIGN.md "Revocation"):
 * the token service writes it, every verifier's revocation sync reads it.
 */

/**
 * One feed entry: a whole root token (no `revocation_id`) or one attenuated token and its
 * descendants; `expires_at` is when the root token would have expired anyway.
 *
 * @example
 * revocationEntrySchema.parse({ token_id: 'tok_…', expires_at: '2027-01-01T00:00:00.000Z' })
 */
export const revocationEntrySchema = z
  .object({
    token_id: z.string().min(1),
    revocation_id: z.string().min(1).optional(),
    expires_at: z.string(),
  })
  .meta({ id: 'RevocationEntry' })

/** One feed entry as JSON (see {@link revocationEntrySchema}). */
export type RevocationEntryJson = z.infer<typeof revocationEntrySchema>

/**
 * One feed answer: the entries after `since`, the cursor to ask from next (opaque), and `reset`
 * when the entries are a full snapshot that replaces the reader's list.
 *
 * @example
 * const page = revocationFeedSchema.parse(await res.json())
 * for (const e of page.entries) list.add(e)
 */
export const revocationFeedSchema = z
  .object({ cursor: z.string(), entries: z.array(revocationEntrySchema), reset: z.literal(true).optional() })
  .meta({ id: 'RevocationFeed' })

/** One feed answer as JSON (see {@link revocationFeedSchema}). */
export type RevocationFeedJson = z.infer<typeof revocationFeedSchema>
