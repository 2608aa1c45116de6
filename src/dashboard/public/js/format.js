// @ts-check
/**
 * Formatting for the dashboard: relative times, caveats in words, user agents people recognise.
 * Pure functions (no DOM), so pages and tests share them.
 */
// The caveat grammar is the server's own file, served at /caveats/grammar.js: this relative path
// names it in the source tree (src/dashboard/public/js -> caveats/) for the type checker, and
// resolves to that URL in the browser (a path cannot climb above the site's root).
import { listParts, splitCaveat } from '../../../../caveats/grammar.js'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** A key unused for this long is "stale" when the page does not say otherwise (90d / 3). */
export const STALE_AFTER_MS = 30 * DAY

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
const dateTime = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' })

/**
 * "3 days ago", "in 12 days", "just now".
 * @param {string | number | Date} when
 * @param {number} [now]
 * @returns {string}
 */
export function relativeTime(when, now = Date.now()) {
  const t = new Date(when).getTime()
  if (Number.isNaN(t)) return ''
  const diff = t - now
  const abs = Math.abs(diff)
  if (abs < 45 * SECOND) return 'just now'
  if (abs < 45 * MINUTE) return rtf.format(Math.round(diff / MINUTE), 'minute')
  if (abs < 22 * HOUR) return rtf.format(Math.round(diff / HOUR), 'hour')
  if (abs < 45 * DAY) return rtf.format(Math.round(diff / DAY), 'day')
  if (abs < 320 * DAY) return rtf.format(Math.round(diff / (30 * DAY)), 'month')
  return rtf.format(Math.round(diff / (365 * DAY)), 'year')
}

/**
 * "Nov 22, 2026, 2:05 PM" in the browser's time zone.
 * @param {string | number | Date} when
 * @returns {string}
 */
export function absoluteTime(when) {
  const d = new Date(when)
  return Number.isNaN(d.getTime()) ? '' : dateTime.format(d)
}

/**
 * One caveat (`name = a,b`) split into its name and values by the server's grammar; undefined
 * when it is not of that form.
 * @param {string} text
 * @returns {{ name: string, values: string[] } | undefined}
 */
export function parseCaveat(text) {
  const caveat = splitCaveat(text)
  return caveat === undefined ? undefined : { name: caveat.name, values: listParts(caveat.value) }
}

/**
 * A key's caveats as short phrases people read at a glance, ending with its expiry:
 * `['read-only', 'org acme', 'app web', 'expires in 12 days']`.
 * @param {{ caveats: string[], expires_at: string, status: string }} key
 * @param {number} [now]
 * @returns {string[]}
 */
export function caveatPhrases(key, now = Date.now()) {
  const phrases = []
  for (const text of key.caveats) {
    const c = parseCaveat(text)
    if (c === undefined) {
      phrases.push(text)
      continue
    }
    const list = c.values.join(', ')
    const plural = c.values.length > 1
    switch (c.name) {
      case 'ops':
        phrases.push(c.values.length === 1 && c.values[0] === 'read' ? 'read-only' : `only ${list}`)
        break
      case 'org':
        phrases.push(`${plural ? 'orgs' : 'org'} ${list}`)
        break
      case 'app':
        phrases.push(`${plural ? 'apps' : 'app'} ${list}`)
        break
      case 'device':
        phrases.push(`${plural ? 'devices' : 'device'} ${list}`)
        break
      case 'ip':
        phrases.push(`IP ${list}`)
        break
      case 'not-before':
        phrases.push(`valid from ${absoluteTime(c.values[0] ?? '')}`)
        break
      case 'expires':
        break // the key's own expiry (the earliest) is shown below
      default:
        phrases.push(text)
    }
  }
  if (phrases.length === 0) phrases.push('full access')
  const expires = new Date(key.expires_at).getTime()
  if (key.status !== 'revoked') {
    phrases.push(
      expires <= now ? `expired ${relativeTime(expires, now)}` : `expires ${relativeTime(expires, now)}`,
    )
  }
  return phrases
}

/**
 * {@link caveatPhrases} joined with middle dots.
 * @param {{ caveats: string[], expires_at: string, status: string }} key
 * @param {number} [now]
 * @returns {string}
 */
export function caveatsInWords(key, now = Date.now()) {
  return caveatPhrases(key, now).join(' · ')
}

/**
 * "Chrome on macOS", "crumb CLI 0.1.0", "curl 8.5.0"; the raw text (shortened) when unknown.
 * @param {string | null | undefined} ua
 * @returns {string}
 */
export function userAgentSummary(ua) {
  if (ua === null || ua === undefined || ua.trim() === '') return 'Unknown program'
  let m = /crumb-cli\/(\S+)/.exec(ua)
  if (m !== null) return `crumb CLI ${m[1]}`
  m = /^curl\/(\S+)/.exec(ua)
  if (m !== null) return `curl ${m[1]}`
  if (/^(node|undici)\b/i.test(ua)) return 'Node.js'
  let browser
  if (/Edg\//.test(ua)) browser = 'Edge'
  else if (/OPR\//.test(ua)) browser = 'Opera'
  else if (/Firefox\//.test(ua)) browser = 'Firefox'
  else if (/HeadlessChrome\//.test(ua)) browser = 'Headless Chrome'
  else if (/Chrom(e|ium)\//.test(ua)) browser = 'Chrome'
  else if (/Version\/[\d.]+.*Safari\//.test(ua)) browser = 'Safari'
  let os
  if (/Windows NT/.test(ua)) os = 'Windows'
  else if (/iPhone|iPad/.test(ua)) os = 'iOS'
  else if (/Mac OS X/.test(ua)) os = 'macOS'
  else if (/Android/.test(ua)) os = 'Android'
  else if (/CrOS/.test(ua)) os = 'ChromeOS'
  else if (/Linux/.test(ua)) os = 'Linux'
  if (browser !== undefined) return os === undefined ? browser : `${browser} on ${os}`
  const text = ua.trim()
  return text.length > 40 ? `${text.slice(0, 39)}…` : text
}

/**
 * True for an active key nobody has used for {@link STALE_AFTER_MS} (or ever, once it is that old).
 * @param {{ status: string, last_used_at: string | null, created_at: string }} key
 * @param {number} [now]
 * @param {number} [staleAfterMs] the page's figure, from the service's CRUMB_UNUSED_KEY_TTL
 * @returns {boolean}
 */
export function isStale(key, now = Date.now(), staleAfterMs = STALE_AFTER_MS) {
  if (key.status !== 'active') return false
  const since = new Date(key.last_used_at ?? key.created_at).getTime()
  return now - since >= staleAfterMs
}

/** @type {Readonly<Record<string, string | undefined>>} Where a key came from, in words. */
export const SOURCE_LABELS = Object.freeze({
  register: 'Registration',
  'cli-login': 'CLI login',
  api: 'API',
  'dashboard-session': 'Dashboard',
  oauth: 'OAuth app',
  workload: 'Workload',
})

/**
 * @param {string} source
 * @returns {string}
 */
export function sourceLabel(source) {
  return SOURCE_LABELS[source] ?? source
}

/** @type {Readonly<Record<string, string | undefined>>} Audit event types in words. */
export const EVENT_LABELS = Object.freeze({
  created: 'Created',
  renamed: 'Renamed',
  revoked: 'Revoked',
  replaced: 'Replaced',
  rotated: 'Rotated',
  deleted: 'Deleted',
  hard_deleted: 'Purged',
  auto_revoked: 'Auto-revoked',
  login: 'Signed in',
  session_revoked: 'Signed out',
})

/**
 * @param {string} event
 * @returns {string}
 */
export function eventLabel(event) {
  return EVENT_LABELS[event] ?? event
}

/**
 * `WDJB-MJHT` from whatever was typed (`wdjb mjht`), as the server normalises it.
 * @param {string} input
 * @returns {string}
 */
export function normalizeUserCode(input) {
  const s = input.toUpperCase().replace(/[^A-Z]/g, '')
  return s.length === 8 ? `${s.slice(0, 4)}-${s.slice(4)}` : s
}
