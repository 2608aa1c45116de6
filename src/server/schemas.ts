import type { OpenAPIRegistry, RouteConfig, ZodRequestBody } from '@asteasolutions/zod-to-openapi'
import * as z from 'zod'
import type { TokenClaims } from '../token/index.js'
import { keyIdSchema, keySchema } from '../wire/key.js'
import { problemSchema } from '../wire/problem.js'

/** A key as the API shows it (DESIGN.md "Key"): the wire schema the CLI reads too. */
/** The problem+json body of every error: the wire's schema, beside its type. */
export { keyIdSchema, keySchema, problemSchema }

/** The restricting dimensions of verified claims, snake_case; null = unrestricted on that dimension. */
export const claimsScopeSchema = z.object({
  ops: z.array(z.string()).nullable(),
  orgs: z.array(z.string()).nullable(),
  apps: z.array(z.string()).nullable(),
  devices: z.array(z.string()).nullable(),
  expires_at: z.string().nullable(),
  not_before: z.string().nullable(),
  caveats: z.array(z.string()),
})

/**
 * The restricting dimensions of verified claims as JSON (see {@link claimsScopeSchema}).
 *
 * @example
 * res.json({ scope: { ...claimsScopeJson(claims), attenuated: !isRoot } })
 */
export function claimsScopeJson(c: TokenClaims): z.infer<typeof claimsScopeSchema> {
  return {
    ops: c.ops === null ? null : [...c.ops],
    orgs: c.orgs === null ? null : [...c.orgs],
    apps: c.apps === null ? null : [...c.apps],
    devices: c.devices === null ? null : [...c.devices],
    expires_at: c.expiresAt?.toISOString() ?? null,
    not_before: c.notBefore?.toISOString() ?? null,
    caveats: [...c.caveats],
  }
}

/** A user as the API shows it. */
export const userSchema = z.object({ id: z.string(), email: z.string() }).meta({ id: 'User' })

/** `{token, key}`: a key just minted; the token is shown only here. */
export const mintedSchema = z
  .object({ token: z.string().meta({ description: 'the secret; shown once' }), key: keySchema })
  .meta({ id: 'MintedKey' })

/** `:id` of a key route. */
export const keyIdParams = z.object({ id: keyIdSchema })

/** Shorthand for a JSON request body in the OpenAPI document. */
export function jsonBody(schema: z.ZodType): ZodRequestBody {
  return { required: true, content: { 'application/json': { schema } } }
}

/** Shorthand for a JSON response in the OpenAPI document. */
export function jsonResponse(description: string, schema: z.ZodType): RouteConfig['responses'][string] {
  return { description, content: { 'application/json': { schema } } }
}

/** The problem responses a route can answer with, by status. */
export function problems(...statuses: number[]): RouteConfig['responses'] {
  const out: RouteConfig['responses'] = {}
  for (const status of statuses) {
    out[String(status)] = {
      description: 'problem+json',
      content: { 'application/problem+json': { schema: problemSchema } },
    }
  }
  return out
}

/** Security requirement of authenticated routes. */
export const bearer = [{ bearer: [] }]

/** Adds the bearer security scheme (once) to a registry. */
export function registerSecurity(registry: OpenAPIRegistry): void {
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'a crumb token (`crumb_…`), optionally followed by comma-joined discharges; or `X-API-Key`',
  })
}
