/**
 * True when `e` is better-sqlite3's error for a violated UNIQUE or PRIMARY KEY constraint.
 *
 * @example
 * try { stmt.run(row) } catch (e) { if (isUniqueViolation(e)) return undefined; throw e }
 */
export function isUniqueViolation(e: unknown): boolean {
  if (!(e instanceof Error) || !('code' in e)) return false
  const code = (e as { code: unknown }).code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}
