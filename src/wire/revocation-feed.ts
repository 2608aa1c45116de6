import { createHash } from 'node:crypto'
import * as z from 'zod'

/**
 * The revocation feed on the wire (`GET /v1/revocations?since=&wait=`, DESIGN.md "Revocation"):
 * the token service writes it, every verifier's revocation sync reads it.
 */

/** Most key ids a feed answer lists in `active_kids`. */
export const MAX_ACTIVE_KIDS = 10_000

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
    effective_at: z
      .string()
      .optional()
      .meta({
        description:
          'a whole-token entry that applies from this instant (a rotation grace end), not at once; a ' +
          'verifier that ignores the field (or cannot read it) refuses the token at once, which is safe',
      }),
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
  .object({
    cursor: z.string(),
    entries: z.array(revocationEntrySchema),
    reset: z.literal(true).optional(),
    active_kids: z
      .array(z.string())
      .max(MAX_ACTIVE_KIDS)
      .optional()
      .meta({
        description:
          "the key ids of the service's key ring that verify now; remote verifiers drop cached answers " +
          'under any other kid. A poll that sends `kids` (their digest) is answered as soon as they change',
      }),
  })
  .meta({ id: 'RevocationFeed' })

/** One feed answer as JSON (see {@link revocationFeedSchema}). */
export type RevocationFeedJson = z.infer<typeof revocationFeedSchema>

/**
 * A short digest of a set of key ids (order does not matter): a verifier sends the digest of the
 * `active_kids` it holds as the feed's `kids` parameter, and the feed answers a long-poll at once
 * when the key ring's differs, so a retirement between two polls is not held back for a whole wait.
 *
 * @example
 * url.searchParams.set('kids', activeKidsDigest(body.active_kids))
 */
export function activeKidsDigest(kids: Iterable<string>): string {
  return createHash('sha256')
    .update([...kids].sort().join(','))
    .digest('base64url')
    .slice(0, 22)
}
