import type { ServerResponse } from 'node:http'
import * as z from 'zod'
import {
  type CrumbError,
  ERROR_CODES,
  ERROR_TITLES,
  type ErrorCode,
  PROBLEM_TYPE_PREFIX,
  type ProblemIssue,
  RateLimited,
  ServiceUnavailable,
  ValidationProblem,
} from '../errors.js'

// The two errors that carry more than a code live with CrumbError (the service throws them too).
export { type ProblemIssue, RateLimited, ValidationProblem }

/**
 * problem+json (RFC 9457) as crumb writes and reads it: the token service and the verifier
 * middleware write it; the CLI, the verifier's remote mode and the dashboard read it. No Express here (the
 * writer takes a plain `node:http` response), so the CLI and verifiers stay light.
 */

/** The media type of every error answer. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** The `WWW-Authenticate` value of every 401 (DESIGN.md); the precise reason is in `code`. */
export const WWW_AUTHENTICATE = 'Bearer error="invalid_token"'

/**
 * The problem+json body every crumb error answer carries: `{type, title, status, code, detail, errors?}`.
 *
 * @example
 * const body: ProblemBody = problemBody(new CrumbError('not_found', 'no such key'))
 */
export interface ProblemBody {
  type: string
  title: string
  status: number
  code: ErrorCode
  /** Why; a 401 / 403 about one caveat names its index and text (`caveat 2 (app = web) failed: …`). */
  detail: string
  errors?: ProblemIssue[]
}

/**
 * The schema of {@link ProblemBody}, for the OpenAPI document and for readers that validate what
 * they receive. Checked against the interface below at compile time, so the two cannot drift.
 *
 * @example
 * problemSchema.safeParse(await res.json()).success
 */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    detail: z.string(),
    errors: z
      .array(
        z.object({
          in: z.enum(['body', 'query', 'params', 'header']),
          path: z.string(),
          message: z.string(),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Problem' })

// compile-time agreement of the schema and the interface: the same fields, and every body the
// writer makes is one the schema describes
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false
const sameFields: SameKeys<z.infer<typeof problemSchema>, ProblemBody> = true
const bodyFitsSchema = (body: ProblemBody): z.infer<typeof problemSchema> => body
void sameFields
void bodyFitsSchema

/**
 * The problem+json body of a CrumbError. Its `detail` is the error message, which by crumb's rule
 * never contains a token. `status` overrides the code's own where HTTP has a more precise one for
 * the same failure (431 for a `validation_failed` of oversized headers).
 *
 * @example
 * problemBody(new CrumbError('not_found', 'no such key')) // { type: 'urn:crumb:problem:not_found', status: 404, … }
 */
export function problemBody(error: CrumbError, status: number = error.status): ProblemBody {
  const body: ProblemBody = {
    type: PROBLEM_TYPE_PREFIX + error.code,
    title: ERROR_TITLES[error.code],
    status,
    code: error.code,
    detail: error.message,
  }
  if (error instanceof ValidationProblem) body.errors = [...error.issues]
  return body
}

/** Options of {@link writeProblem}. */
export interface WriteProblemOptions {
  /** Seconds sent as `Retry-After` (a {@link RateLimited} error carries its own). */
  readonly retryAfterS?: number
  /** The `WWW-Authenticate` value of a 401, when not the plain {@link WWW_AUTHENTICATE}. */
  readonly challenge?: string
}

/**
 * Answers with the problem of a CrumbError: status, `application/problem+json`, on a 401 the
 * `WWW-Authenticate: Bearer error="invalid_token"` challenge, and `Retry-After` where one applies.
 * Takes any `node:http` response (an Express response is one).
 *
 * @example
 * writeProblem(res, new CrumbError('not_found', 'no such key'))
 * writeProblem(res, new CrumbError('revocation_list_stale', 'feed unreachable'), { retryAfterS: 5 })
 */
export function writeProblem(
  res: ServerResponse,
  error: CrumbError,
  options: WriteProblemOptions = {},
): void {
  const payload = JSON.stringify(problemBody(error))
  const retryAfterS =
    error instanceof RateLimited || error instanceof ServiceUnavailable
      ? error.retryAfterS
      : options.retryAfterS
  res.statusCode = error.status
  if (error.status === 401) res.setHeader('WWW-Authenticate', options.challenge ?? WWW_AUTHENTICATE)
  if (retryAfterS !== undefined) res.setHeader('Retry-After', String(retryAfterS))
  res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`)
  res.setHeader('Content-Length', Buffer.byteLength(payload))
  res.end(payload)
}

// Reading a problem is plain JavaScript, so the dashboard's pages load the same file.
export { type ParsedIssue, type ParsedProblem, readProblem } from './read-problem.js'
