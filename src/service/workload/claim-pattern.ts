/**
 * Trust-policy conditions match one claim's value against a pattern (DESIGN.md, "Workload
 * identity"): an exact string, or a glob whose `*` stands for any run of characters within the
 * claim — never a `:`, the separator of GitHub's and GitLab's `sub` (`repo:acme/web:ref:refs/heads/main`),
 * so `repo:acme/*:ref:refs/heads/main` cannot be met by another field of `sub`. Every other
 * character is literal (`.` is a dot, `?` a question mark), the whole value must match, and
 * only a string (or a number or boolean, as its JSON text) can match: arrays and objects never do.
 *
 * Hand-written rather than a regular expression: a pattern like `*a*a*a*b` makes backtracking
 * regular expressions exponential; this matcher is linear in the value per `*` segment.
 */

/** Longest pattern accepted in a policy. */
export const MAX_PATTERN_LENGTH = 256

/** Longest claim value ever compared (longer ones do not match). */
export const MAX_CLAIM_VALUE_LENGTH = 2048

/** The character a `*` never stands for. */
const SEPARATOR = ':'

/** Glob match of one `:`-free segment, `*` = any run (possibly empty). Greedy with one backtrack point. */
function matchSegment(pattern: string, value: string): boolean {
  let p = 0
  let v = 0
  let star = -1
  let resume = 0
  while (v < value.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p
      p += 1
      resume = v
    } else if (p < pattern.length && pattern[p] === value[v]) {
      p += 1
      v += 1
    } else if (star >= 0) {
      p = star + 1
      resume += 1
      v = resume
    } else {
      return false
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1
  return p === pattern.length
}

/**
 * The text a claim value is compared as, or `undefined` when it cannot match any pattern.
 *
 * @example
 * claimText(42) // '42'
 * claimText(['a']) // undefined
 */
export function claimText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value === 'boolean') return String(value)
  return undefined
}

/**
 * Whether a claim's value meets a pattern.
 *
 * @example
 * matchesPattern('refs/heads/*', 'refs/heads/main') // true
 * matchesPattern('refs/heads/*', 'refs/tags/v1') // false
 * matchesPattern('repo:acme/*:ref:refs/heads/main', 'repo:acme/web:ref:refs/heads/main') // true
 */
export function matchesPattern(pattern: string, value: unknown): boolean {
  const text = claimText(value)
  if (text === undefined || text.length > MAX_CLAIM_VALUE_LENGTH) return false
  if (!pattern.includes('*')) return pattern === text
  const patternParts = pattern.split(SEPARATOR)
  const valueParts = text.split(SEPARATOR)
  if (patternParts.length !== valueParts.length) return false
  return patternParts.every((part, i) => matchSegment(part, valueParts[i] ?? ''))
}
