import * as z from 'zod'

/**
 * The Key JSON (DESIGN.md "Bodies": `Key = {id, name, hint, source, status, caveats, created_at,
 * expires_at, last_used_at, last_used_ip, last_used_user_agent, revoked_at}`): the token service
 * answers with it, the CLI reads it, the OpenAPI document describes it.
 */

/** Where a key came from (DESIGN.md "Token lifecycle"). */
export const KEY_SOURCES = ['register', 'cli-login', 'dashboard-session', 'api', 'oauth', 'workload'] as const

/** A key's status, derived from its dates. */
export const KEY_STATUSES = ['active', 'revoked', 'expired'] as const

/**
 * A key id (`tok_` + base64url), as routes take it in `:id`, `key_id` and usage reports.
 *
 * @example
 * keyIdSchema.parse('tok_3q2W1vXb0sPqH9tYk8mZ7A')
 */
export const keyIdSchema = z.string().regex(/^tok_[A-Za-z0-9_-]{1,64}$/, 'not a key id')

/**
 * A key as the API shows it: metadata only, never its token. Readers that keep members they do
 * not know (the CLI's `--json`) use `keySchema.loose()`.
 *
 * @example
 * const key = keySchema.parse((await res.json()).key)
 * key.status // 'active' | 'revoked' | 'expired'
 */
export const keySchema = z
  .object({
    id: z.string().meta({ example: 'tok_3q2W1vXb0sPqH9tYk8mZ7A' }),
    name: z.string(),
    hint: z.string().meta({
      description:
        'the last four characters of the token as issued; keys minted before that rule show `sig…` and four hex digits of the signature',
      example: 'crumb_…TtGo',
    }),
    source: z.enum(KEY_SOURCES),
    status: z.enum(KEY_STATUSES),
    caveats: z.array(z.string()),
    created_at: z.string(),
    expires_at: z.string(),
    last_used_at: z.string().nullable(),
    last_used_ip: z.string().nullable(),
    last_used_user_agent: z.string().nullable(),
    revoked_at: z.string().nullable(),
    // beside DESIGN's fields (#18 item 1); optional for readers of an older service
    grace_ends_at: z
      .string()
      .nullable()
      .optional()
      .meta({ description: 'a rotated key: when its grace period ends and it stops working' }),
  })
  .meta({ id: 'Key' })

/** A key as the API shows it (see {@link keySchema}). */
export type KeyJson = z.infer<typeof keySchema>
