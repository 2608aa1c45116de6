import * as z from 'zod'
import { keySchema as wireKeySchema } from '../wire/key.js'
import { CliError } from './errors.js'
import type { HttpClient } from './http-client.js'

/**
 * The crumb HTTP API (DESIGN.md, "HTTP API") as typed calls. Every answer is parsed with zod, so
 * commands work with plain typed objects; unknown members are kept for `--json` output.
 */

const nullableString = z.string().nullable().optional()

/** A key as `GET /v1/tokens` lists it: the wire schema, keeping unknown members for `--json`. */
const keySchema = wireKeySchema.loose()
/** A key's metadata (never its token). */
export type Key = z.infer<typeof keySchema>

const userSchema = z.looseObject({ id: z.string(), email: z.string().optional() })
/** A user as the API shows one. */
export type User = z.infer<typeof userSchema>

const issuedSchema = z.looseObject({ token: z.string().startsWith('crumb_'), key: keySchema })
/** A freshly minted token and its key (the only answers that carry a token). */
export type Issued = z.infer<typeof issuedSchema>

const registeredSchema = issuedSchema.extend({ user: userSchema })
const rotatedSchema = issuedSchema.extend({ previous: keySchema.optional() })

const deviceStartSchema = z.looseObject({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string().optional(),
  expires_in: z.number(),
  interval: z.number().optional(),
})
/** `POST /v1/auth/device` answer (RFC 8628 section 3.2). */
export type DeviceStart = z.infer<typeof deviceStartSchema>

const whoamiSchema = z.looseObject({
  user: userSchema,
  key: keySchema.optional(),
  scope: z.unknown().optional(),
})
/** `GET /v1/whoami` answer. */
export type Whoami = z.infer<typeof whoamiSchema>

const keysSchema = z.looseObject({ keys: z.array(keySchema) })
const sessionsSchema = z.looseObject({
  sessions: z.array(keySchema),
  current: z.string().nullable().optional(),
})
const keyAnswerSchema = z.looseObject({ key: keySchema })
const revokedSchema = z.looseObject({
  revoked: z.looseObject({ token_id: z.string(), revocation_id: z.string().nullable().optional() }),
})
/** `POST /v1/revocations` answer. */
export type Revoked = z.infer<typeof revokedSchema>

const auditEventSchema = z.looseObject({
  id: z.union([z.string(), z.number()]),
  at: z.string(),
  event: z.string(),
  key_id: nullableString,
  actor: z.unknown().optional(),
  ip: nullableString,
  user_agent: nullableString,
  detail: z.record(z.string(), z.unknown()).nullable().optional(),
})
/** One audit-log row. */
export type AuditEvent = z.infer<typeof auditEventSchema>
const auditSchema = z.looseObject({
  events: z.array(auditEventSchema),
  next_cursor: z.union([z.string(), z.number()]).nullable().optional(),
})
/** One page of the audit log. */
export type AuditPage = z.infer<typeof auditSchema>

function parseAnswer<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body)
  if (parsed.success) return parsed.data
  throw new CliError('bad_response', `unexpected answer from ${what}`, {
    errors: parsed.error.issues.slice(0, 3).map((i) => ({ path: i.path.join('.'), message: i.message })),
    hint: 'is --server pointing at a crumb token service of the same version?',
  })
}

const seg = encodeURIComponent

/**
 * Typed calls to the token service.
 *
 * @example
 * const api = new CrumbApi(http)
 * const keys = await api.listKeys({ includeRevoked: true })
 */
export class CrumbApi {
  readonly http: HttpClient

  constructor(http: HttpClient) {
    this.http = http
  }

  /** `POST /v1/users`. @example await api.register('ada@example.com', password) */
  async register(
    email: string,
    password: string,
    device?: string,
  ): Promise<z.infer<typeof registeredSchema>> {
    const { body } = await this.http.request('POST', '/v1/users', {
      body: { email, password, ...(device === undefined ? {} : { device }) },
      auth: false,
    })
    return parseAnswer(registeredSchema, body, 'POST /v1/users')
  }

  /** `POST /v1/auth/login`. @example await api.login('ada@example.com', password, 'laptop') */
  async login(email: string, password: string, device: string): Promise<Issued> {
    const { body } = await this.http.request('POST', '/v1/auth/login', {
      body: { email, password, device },
      auth: false,
    })
    return parseAnswer(issuedSchema, body, 'POST /v1/auth/login')
  }

  /** `POST /v1/auth/device`: start a device authorization. @example await api.startDeviceLogin('laptop') */
  async startDeviceLogin(device: string): Promise<DeviceStart> {
    const { body } = await this.http.request('POST', '/v1/auth/device', { body: { device }, auth: false })
    return parseAnswer(deviceStartSchema, body, 'POST /v1/auth/device')
  }

  /**
   * `POST /v1/auth/device/token`: one poll. Throws a CliError whose code is
   * `authorization_pending`, `slow_down`, `expired_token` or `access_denied` until it succeeds.
   *
   * @example
   * const issued = await api.pollDeviceLogin(start.device_code)
   */
  async pollDeviceLogin(deviceCode: string): Promise<Issued> {
    const { body } = await this.http.request('POST', '/v1/auth/device/token', {
      body: { device_code: deviceCode },
      auth: false,
    })
    return parseAnswer(issuedSchema, body, 'POST /v1/auth/device/token')
  }

  /** `GET /v1/whoami`. @example (await api.whoami()).user.email */
  async whoami(): Promise<Whoami> {
    const { body } = await this.http.request('GET', '/v1/whoami')
    return parseAnswer(whoamiSchema, body, 'GET /v1/whoami')
  }

  /** `GET /v1/tokens`. @example await api.listKeys({ includeRevoked: false }) */
  async listKeys(options: { includeRevoked?: boolean } = {}): Promise<Key[]> {
    const { body } = await this.http.request('GET', '/v1/tokens', {
      query: { include_revoked: options.includeRevoked === true ? 'true' : undefined },
    })
    return parseAnswer(keysSchema, body, 'GET /v1/tokens').keys
  }

  /** `POST /v1/tokens`. @example await api.createKey({ name: 'ci', caveats: ['org = acme'], expiresIn: '30d' }) */
  async createKey(input: {
    name: string
    caveats: readonly string[]
    expiresIn?: string | undefined
  }): Promise<Issued> {
    const { body } = await this.http.request('POST', '/v1/tokens', {
      body: {
        name: input.name,
        ...(input.caveats.length > 0 ? { caveats: input.caveats } : {}),
        ...(input.expiresIn === undefined ? {} : { expires_in: input.expiresIn }),
      },
    })
    return parseAnswer(issuedSchema, body, 'POST /v1/tokens')
  }

  /** `PATCH /v1/tokens/:id`. @example await api.renameKey('tok_…', 'deploy bot') */
  async renameKey(id: string, name: string): Promise<Key> {
    const { body } = await this.http.request('PATCH', `/v1/tokens/${seg(id)}`, { body: { name } })
    return parseAnswer(keyAnswerSchema, body, 'PATCH /v1/tokens/:id').key
  }

  /** `DELETE /v1/tokens/:id`: revoke, keeping the row. @example await api.revokeKey('tok_…') */
  async revokeKey(id: string): Promise<Key> {
    const { body } = await this.http.request('DELETE', `/v1/tokens/${seg(id)}`)
    return parseAnswer(keyAnswerSchema, body, 'DELETE /v1/tokens/:id').key
  }

  /** `DELETE /v1/tokens/:id?hard=true` with `X-Confirm-Destructive: true`. @example await api.deleteKey('tok_…') */
  async deleteKey(id: string): Promise<void> {
    await this.http.request('DELETE', `/v1/tokens/${seg(id)}`, {
      query: { hard: 'true' },
      headers: { 'x-confirm-destructive': 'true' },
    })
  }

  /** `POST /v1/tokens/:id/rotate`. @example await api.rotateKey('tok_…', '1h') */
  async rotateKey(id: string, grace: string | undefined): Promise<z.infer<typeof rotatedSchema>> {
    const { body } = await this.http.request('POST', `/v1/tokens/${seg(id)}/rotate`, {
      body: grace === undefined ? {} : { grace },
    })
    return parseAnswer(rotatedSchema, body, 'POST /v1/tokens/:id/rotate')
  }

  /** `POST /v1/revocations` (public: possession is the proof). @example await api.revokeToken(token) */
  async revokeToken(token: string, reason?: 'logout'): Promise<Revoked> {
    const { body } = await this.http.request('POST', '/v1/revocations', {
      body: { token, ...(reason === undefined ? {} : { reason }) },
      auth: false,
    })
    return parseAnswer(revokedSchema, body, 'POST /v1/revocations')
  }

  /** `GET /v1/sessions`: the dashboard sessions. @example (await api.listSessions()).sessions */
  async listSessions(): Promise<z.infer<typeof sessionsSchema>> {
    const { body } = await this.http.request('GET', '/v1/sessions')
    return parseAnswer(sessionsSchema, body, 'GET /v1/sessions')
  }

  /** `DELETE /v1/sessions/:id`: signs one dashboard session out. @example await api.revokeSession('tok_…') */
  async revokeSession(id: string): Promise<Key> {
    const { body } = await this.http.request('DELETE', `/v1/sessions/${seg(id)}`)
    return parseAnswer(keyAnswerSchema, body, 'DELETE /v1/sessions/:id').key
  }

  /**
   * `DELETE /v1/sessions/others` with `X-Confirm-Destructive: true`: signs out every dashboard
   * session but the caller's. Returns how many.
   *
   * @example
   * const n = await api.revokeOtherSessions()
   */
  async revokeOtherSessions(): Promise<number> {
    const { body } = await this.http.request('DELETE', '/v1/sessions/others', {
      headers: { 'x-confirm-destructive': 'true' },
    })
    return parseAnswer(z.looseObject({ revoked: z.number() }), body, 'DELETE /v1/sessions/others').revoked
  }

  /** `GET /v1/audit`. @example await api.audit({ keyId: 'tok_…' }) */
  async audit(options: { keyId?: string | undefined; cursor?: string | undefined } = {}): Promise<AuditPage> {
    const { body } = await this.http.request('GET', '/v1/audit', {
      query: { key_id: options.keyId, cursor: options.cursor },
    })
    return parseAnswer(auditSchema, body, 'GET /v1/audit')
  }
}
