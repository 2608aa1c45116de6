// @ts-check
/**
 * The text grammar of first-party caveats, `name = value` (DESIGN.md "Caveats"): one file shared
 * by the caveat registry (token service, verifiers, CLI) and the dashboard's pages, which load
 * this very file in the browser (`/caveats/grammar.js`), so a page reads a caveat exactly as
 * verification does. Plain JavaScript with JSDoc types and no imports, for that reason.
 */

/** Longest caveat text accepted, in UTF-16 code units. */
export const MAX_CAVEAT_LENGTH = 4096

/** `name = value` once the text is trimmed (the grammar `^\s*([a-z][a-z0-9-]*)\s*=\s*(\S.*?)\s*$`). */
const CAVEAT = /^([a-z][a-z0-9-]*)\s*=\s*(.+)$/

/**
 * Splits a caveat's text into its kind name and its value text (trimmed); undefined when the
 * text is not of the form `name = value` or longer than {@link MAX_CAVEAT_LENGTH}. Whether the
 * name is a known kind and the value well formed is the kind's business.
 *
 * @example
 * splitCaveat(' ops = read, write ') // { name: 'ops', value: 'read, write' }
 * splitCaveat('ORG = acme')          // undefined (names are lower case)
 *
 * @param {string} text
 * @returns {{ name: string, value: string } | undefined}
 */
export function splitCaveat(text) {
  const match = text.length <= MAX_CAVEAT_LENGTH ? CAVEAT.exec(text.trim()) : null
  const name = match?.[1]
  const value = match?.[2]
  return name === undefined || value === undefined ? undefined : { name, value }
}

/**
 * The comma-separated parts of a list value (`org`, `app`, `ops`, `device`, `ip`), each trimmed;
 * empty parts are kept, for the kind to refuse.
 *
 * @example
 * listParts('acme, beta') // ['acme', 'beta']
 *
 * @param {string} value
 * @returns {string[]}
 */
export function listParts(value) {
  return value.split(',').map((part) => part.trim())
}
