import { readFileSync } from 'node:fs'

let cached: string | undefined

/**
 * The package version, read once from the nearest `package.json` named `crumb` above this module
 * (works from `src/cli` under tsx and from `dist/src/cli` once built).
 *
 * @example
 * cliVersion() // '0.1.0'
 */
export function cliVersion(): string {
  if (cached !== undefined) return cached
  cached = '0.0.0'
  for (let url = new URL('./', import.meta.url), i = 0; i < 6; url = new URL('../', url), i++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', url), 'utf8')) as {
        name?: unknown
        version?: unknown
      }
      if (pkg.name === 'crumb' && typeof pkg.version === 'string') {
        cached = pkg.version
        break
      }
    } catch {
      // not here; look one level up
    }
  }
  return cached
}

/**
 * The `User-Agent` the CLI sends: `crumb-cli/<version> node/<version>`.
 *
 * @example
 * userAgent() // 'crumb-cli/0.1.0 node/20.19.0'
 */
export function userAgent(): string {
  return `crumb-cli/${cliVersion()} node/${process.versions.node}`
}
