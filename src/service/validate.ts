import type * as z from 'zod'
import { type ProblemIssue, ValidationProblem } from '../errors.js'

/** Zod issues as problem issues (messages come from schemas: they never echo a value). */
function zodIssues(where: ProblemIssue['in'], error: z.ZodError): ProblemIssue[] {
  return error.issues.map((i) => ({ in: where, path: i.path.map(String).join('.'), message: i.message }))
}

/**
 * Parses one part of a request with its zod schema; a failure is a 400 `validation_failed`
 * listing every issue.
 *
 * @example
 * const body = parseRequest(createKeyBody, req.body, 'body')
 */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: ProblemIssue['in'],
): z.output<S> {
  const parsed = schema.safeParse(value === undefined && where === 'body' ? {} : value)
  if (parsed.success) return parsed.data
  const issues = zodIssues(where, parsed.error)
  const first = issues[0]
  const at = first === undefined ? where : `${where}${first.path === '' ? '' : `.${first.path}`}`
  throw new ValidationProblem(`invalid request ${where} (${at}: ${first?.message ?? 'invalid'})`, issues)
}
