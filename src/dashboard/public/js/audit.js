// @ts-check
/**
 * The audit log page: events newest first (time, event, key, actor, IP, user agent, details),
 * filtered by key, with "load older events". Data comes from /v1/audit.
 */
import { api } from './api.js'
import { eventLabel, userAgentSummary } from './format.js'
import { announceError, byId, el, initPage, timeEl } from './ui.js'

/** @typedef {import('./api.js').Key} Key */
/** @typedef {import('./api.js').AuditEvent} AuditEvent */

const tbody = /** @type {HTMLTableSectionElement} */ (document.querySelector('#audit-table tbody'))
const count = byId('audit-count', HTMLElement)
const more = byId('audit-more', HTMLButtonElement)
const select = byId('audit-key', HTMLSelectElement)

/** @type {Map<string, { name: string, hint: string }>} key id -> name and hint, for every key and session we can name */
const names = new Map()
/** @type {string | null} */
let cursor = null
let shown = 0
let keyId = new URLSearchParams(location.search).get('key_id') ?? ''

/** @type {Record<string, string | undefined>} */
const EVENT_CLASS = {
  created: 'active',
  login: 'active',
  renamed: 'info',
  rotated: 'info',
  replaced: 'expired',
  revoked: 'revoked',
  auto_revoked: 'revoked',
  session_revoked: 'neutral',
  deleted: 'revoked',
  hard_deleted: 'neutral',
}

/** @param {string} id */
function keyLabel(id) {
  const known = names.get(id)
  return known === undefined ? id : known.name
}

/** @param {AuditEvent} e */
function details(e) {
  /** @type {Record<string, unknown>} */
  const d = e.detail ?? {}
  const parts = []
  if (e.event === 'renamed' && typeof d.from === 'string') parts.push(`“${d.from}” → “${d.to}”`)
  if (e.event === 'created' && typeof d.source === 'string') parts.push(`source ${d.source}`)
  // #18 items 5, 9: say what happened where the event name alone misleads
  if (e.event === 'revoked' && d.attenuated === true)
    parts.push(
      `revoked an attenuated token of this key${d.key_still_active === false ? '' : ' (key still active)'}`,
    )
  if (e.event === 'auto_revoked' && typeof d.message === 'string') parts.push(d.message)
  else if (e.event === 'revoked' && d.reason === 'logout') parts.push('logged out')
  else if (typeof d.reason === 'string' && d.reason !== 'user') parts.push(d.reason)
  if (typeof d.replaced_by === 'string') parts.push(`replaced by ${keyLabel(d.replaced_by)}`)
  if (typeof d.grace_ms === 'number' && d.grace_ms > 0)
    parts.push(`grace ${Math.round(d.grace_ms / 60_000)} min`)
  if (typeof d.via_key === 'string' && d.via_key !== e.key_id) parts.push(`using ${keyLabel(d.via_key)}`)
  return parts.join(' · ')
}

/** @param {AuditEvent} e */
function row(e) {
  return el(
    'tr',
    {},
    el('td', { class: 'nowrap' }, timeEl(e.at)),
    el('td', {}, el('span', { class: `badge ${EVENT_CLASS[e.event] ?? 'neutral'}` }, eventLabel(e.event))),
    el(
      'td',
      {},
      e.key_id === null
        ? el('span', { class: 'muted' }, '—')
        : el(
            'a',
            {
              href: `/audit?key_id=${encodeURIComponent(e.key_id)}`,
              title: e.key_id,
              dataset: { filterKey: e.key_id },
            },
            keyLabel(e.key_id),
          ),
    ),
    el('td', {}, e.actor),
    el('td', {}, e.ip ?? el('span', { class: 'muted' }, '—')),
    el(
      'td',
      { title: e.user_agent ?? '' },
      e.user_agent === null ? el('span', { class: 'muted' }, '—') : userAgentSummary(e.user_agent),
    ),
    el('td', { class: 'details' }, details(e)),
  )
}

/** @param {boolean} reset */
async function loadPage(reset) {
  if (!reset && cursor === null) return
  const query = new URLSearchParams({ limit: '50' })
  if (keyId !== '') query.set('key_id', keyId)
  if (!reset && cursor !== null) query.set('cursor', cursor)
  more.disabled = true
  try {
    const page = /** @type {{ events: AuditEvent[], next_cursor: string | null }} */ (
      await api('GET', `/v1/audit?${query}`)
    )
    for (const e of page.events) {
      const name = e.detail?.name
      if (e.event === 'created' && e.key_id !== null && !names.has(e.key_id) && typeof name === 'string') {
        names.set(e.key_id, { name, hint: '' })
      }
    }
    const rows = page.events.map(row)
    if (reset) {
      tbody.replaceChildren(...rows)
      shown = rows.length
    } else {
      tbody.append(...rows)
      shown += rows.length
    }
    cursor = page.next_cursor
    more.hidden = cursor === null
    const subject = keyId === '' ? '' : ` for “${keyLabel(keyId)}”`
    count.textContent =
      shown === 0
        ? `No events${subject}.`
        : `${shown} ${shown === 1 ? 'event' : 'events'}${subject}${cursor === null ? '' : ' so far'}`
  } catch (error) {
    count.textContent = 'Could not load the audit log.'
    announceError(error, 'Could not load the audit log')
  } finally {
    more.disabled = false
  }
}

async function loadNames() {
  try {
    const [{ keys }, { sessions }] = /** @type {[{ keys: Key[] }, { sessions: Key[] }]} */ (
      await Promise.all([api('GET', '/v1/tokens?include_revoked=true'), api('GET', '/v1/sessions')])
    )
    for (const k of keys) names.set(k.id, { name: k.name, hint: k.hint })
    for (const s of sessions) names.set(s.id, { name: `${s.name} ${s.hint}`, hint: s.hint })
    const options = [...keys]
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }))
      .map((k) =>
        el(
          'option',
          { value: k.id },
          `${k.name} (${k.hint})${k.status === 'active' ? '' : ` · ${k.status}`}`,
        ),
      )
    select.append(...options)
  } catch (error) {
    announceError(error, 'Could not load your keys')
  }
  if (keyId !== '' && ![...select.options].some((o) => o.value === keyId)) {
    select.append(el('option', { value: keyId }, `Deleted or other key ${keyId}`))
  }
  select.value = keyId
}

select.addEventListener('change', async () => {
  keyId = select.value
  const url = new URL(location.href)
  if (keyId === '') url.searchParams.delete('key_id')
  else url.searchParams.set('key_id', keyId)
  history.replaceState(null, '', url)
  cursor = null
  await loadPage(true)
})

tbody.addEventListener('click', async (event) => {
  const target = event.target
  const link = target instanceof Element ? target.closest('a[data-filter-key]') : null
  if (!(link instanceof HTMLElement) || event.ctrlKey || event.metaKey || event.shiftKey) return
  event.preventDefault()
  keyId = link.dataset.filterKey ?? ''
  if (![...select.options].some((o) => o.value === keyId))
    select.append(el('option', { value: keyId }, keyLabel(keyId)))
  select.value = keyId
  select.dispatchEvent(new Event('change'))
  select.focus()
})

more.addEventListener('click', () => void loadPage(false))

initPage()
await loadNames()
await loadPage(true)
