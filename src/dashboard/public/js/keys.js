// @ts-check
/**
 * The keys page: a table of the user's keys (find, sort, show revoked) and what can be done to
 * one — create, rename, rotate, revoke, delete. Data comes from /v1/tokens.
 */
import { ApiError, api } from './api.js'
import {
  absoluteTime,
  caveatsInWords,
  isStale,
  relativeTime,
  STALE_AFTER_MS,
  sourceLabel,
  userAgentSummary,
} from './format.js'
import {
  announce,
  announceError,
  byId,
  clearFieldErrors,
  confirmAction,
  el,
  fieldError,
  initPage,
  showTokenOnce,
  timeEl,
} from './ui.js'

/** @typedef {import('./api.js').Key} Key */

const state = {
  /** @type {Key[]} */
  keys: [],
  loaded: false,
  showRevoked: new URLSearchParams(location.search).get('revoked') === '1',
  filter: '',
  sort: 'last_used',
}

const tbody = /** @type {HTMLTableSectionElement} */ (document.querySelector('#keys-table tbody'))
const count = byId('keys-count', HTMLElement)

/** @param {Key} key */
function lastUsedTime(key) {
  return key.last_used_at === null ? Number.NEGATIVE_INFINITY : new Date(key.last_used_at).getTime()
}

/** @type {Record<string, (a: Key, b: Key) => number>} */
const SORTS = {
  last_used: (a, b) => lastUsedTime(a) - lastUsedTime(b) || b.created_at.localeCompare(a.created_at),
  last_used_desc: (a, b) => lastUsedTime(b) - lastUsedTime(a) || b.created_at.localeCompare(a.created_at),
  created: (a, b) => b.created_at.localeCompare(a.created_at),
  expires: (a, b) => a.expires_at.localeCompare(b.expires_at),
  name: (a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }),
}

/**
 * @param {Key} key
 * @param {string} needle
 */
function matches(key, needle) {
  if (needle === '') return true
  const haystack = [
    key.name,
    key.hint,
    key.id,
    sourceLabel(key.source),
    key.last_used_ip ?? '',
    key.last_used_user_agent ?? '',
    userAgentSummary(key.last_used_user_agent),
    ...key.caveats,
  ]
    .join('\n')
    .toLowerCase()
  return haystack.includes(needle)
}

/** The service's stale figure, rendered into the page (#18 item 10); the default when absent. */
const staleAfterMs =
  Number(document.querySelector('[data-stale-after-ms]')?.getAttribute('data-stale-after-ms')) ||
  STALE_AFTER_MS

/** @param {Key} key */
function keyIsStale(key) {
  return isStale(key, Date.now(), staleAfterMs)
}

/** @param {Key} key */
function statusBadges(key) {
  const badges = [
    el('span', { class: `badge ${key.status}` }, key.status.charAt(0).toUpperCase() + key.status.slice(1)),
  ]
  if (keyIsStale(key)) {
    badges.push(
      el(
        'span',
        { class: 'badge stale', title: `Not used for ${Math.round(staleAfterMs / 86_400_000)} days or more` },
        key.last_used_at === null ? 'Never used' : 'Stale',
      ),
    )
  }
  return badges
}

/** @param {Key} key */
function lastUsedCell(key) {
  if (key.last_used_at === null)
    return el('td', { class: 'last-used' }, el('span', { class: 'muted' }, 'Never'))
  const where = [
    key.last_used_ip,
    key.last_used_user_agent === null ? null : userAgentSummary(key.last_used_user_agent),
  ]
    .filter((part) => part !== null && part !== undefined)
    .join(' · ')
  return el(
    'td',
    { class: 'last-used' },
    timeEl(key.last_used_at),
    where === '' ? null : el('div', { class: 'sub', title: key.last_used_user_agent ?? '' }, where),
  )
}

/** @param {Key} key */
function expiresCell(key) {
  if (key.status === 'revoked') {
    return el(
      'td',
      { class: 'nowrap' },
      el('span', { class: 'muted' }, 'revoked '),
      key.revoked_at === null ? null : timeEl(key.revoked_at),
    )
  }
  return el('td', { class: 'nowrap' }, timeEl(key.expires_at))
}

/**
 * @param {Key} key
 * @param {string} action
 * @param {string} label
 * @param {string} [extraClass]
 */
function actionButton(key, action, label, extraClass = '') {
  return el(
    'button',
    {
      type: 'button',
      class: `button small ${extraClass}`.trim(),
      'aria-label': `${label} ${key.name}`,
      dataset: { action, keyId: key.id },
    },
    label,
  )
}

/** @param {Key} key */
function row(key) {
  const stale = keyIsStale(key)
  const actions = el('div', { class: 'row-actions' })
  if (key.status === 'active') {
    actions.append(
      actionButton(key, 'rename', 'Rename'),
      actionButton(key, 'rotate', 'Rotate'),
      actionButton(key, 'revoke', 'Revoke', 'danger-outline'),
    )
  } else if (key.status === 'expired') {
    actions.append(actionButton(key, 'rename', 'Rename'))
  }
  actions.append(
    actionButton(key, 'delete', 'Delete', 'danger-text'),
    el(
      'a',
      {
        class: 'small-link',
        href: `/audit?key_id=${encodeURIComponent(key.id)}`,
        'aria-label': `History of ${key.name}`,
      },
      'History',
    ),
  )
  return el(
    'tr',
    { class: [key.status, stale ? 'stale' : ''].join(' ').trim(), dataset: { keyId: key.id } },
    el('th', { scope: 'row', class: 'key-name' }, el('span', { class: 'name' }, key.name)),
    el('td', {}, el('code', { class: 'hint', title: key.id }, key.hint)),
    el('td', {}, el('span', { class: `source source-${key.source}` }, sourceLabel(key.source))),
    el('td', { class: 'nowrap' }, timeEl(key.created_at)),
    expiresCell(key),
    lastUsedCell(key),
    el('td', { class: 'scope' }, caveatsInWords(key)),
    el('td', { class: 'status' }, ...statusBadges(key)),
    el('td', { class: 'cell-actions' }, actions),
  )
}

function render() {
  const needle = state.filter.trim().toLowerCase()
  const shown = state.keys.filter((k) => matches(k, needle)).sort(SORTS[state.sort] ?? SORTS.last_used)
  tbody.replaceChildren(...shown.map(row))
  if (!state.loaded) return
  const stale = state.keys.filter((k) => keyIsStale(k)).length
  if (state.keys.length === 0) {
    count.textContent = state.showRevoked
      ? 'No keys at all.'
      : 'No active keys. Create one, or run crumb login.'
  } else if (shown.length === 0) {
    count.textContent = `No key matches “${state.filter.trim()}”.`
  } else {
    const total = `${shown.length === state.keys.length ? '' : `${shown.length} of `}${state.keys.length} ${state.keys.length === 1 ? 'key' : 'keys'}`
    count.textContent = stale > 0 ? `${total} · ${stale} stale` : total
  }
}

async function load() {
  try {
    const data = /** @type {{ keys: Key[] }} */ (
      await api('GET', `/v1/tokens${state.showRevoked ? '?include_revoked=true' : ''}`)
    )
    state.keys = data.keys
    state.loaded = true
    render()
  } catch (error) {
    count.textContent = 'Could not load your keys.'
    announceError(error, 'Could not load your keys')
  }
}

/**
 * Puts focus back on a row's control after a re-render (or on the table when the row is gone).
 * @param {string} keyId
 * @param {string} action
 */
function refocus(keyId, action) {
  const target =
    document.querySelector(`[data-key-id="${CSS.escape(keyId)}"][data-action="${action}"]`) ??
    document.querySelector(`tr[data-key-id="${CSS.escape(keyId)}"] [data-action]`) ??
    document.getElementById('new-key')
  if (target instanceof HTMLElement) target.focus()
}

/** @param {string | undefined} id */
function keyById(id) {
  return state.keys.find((k) => k.id === id)
}

// ---- create

const createDialog = byId('create-dialog', HTMLDialogElement)
const createForm = byId('create-form', HTMLFormElement)
const createName = byId('create-name', HTMLInputElement)
const createOps = byId('create-ops', HTMLInputElement)
const createSubmit = /** @type {HTMLButtonElement} */ (createForm.querySelector('button[type="submit"]'))

/** @param {string} text */
function list(text) {
  return text
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
}

/**
 * The caveats the form asks for, each with the field it came from (to place errors).
 * @param {HTMLFormElement} form
 */
function formCaveats(form) {
  const data = new FormData(form)
  /** @type {{ text: string, field: string }[]} */
  const caveats = []
  /** @type {(name: string, field: string, values: string[]) => void} */
  const add = (name, field, values) => {
    if (values.length > 0) caveats.push({ text: `${name} = ${values.join(',')}`, field })
  }
  add('org', 'create-org', list(String(data.get('org') ?? '')))
  add('app', 'create-app', list(String(data.get('app') ?? '')))
  const ops = String(data.get('ops') ?? 'all')
  if (ops === 'read') add('ops', 'create-ops', ['read'])
  if (ops === 'custom') add('ops', 'create-ops', list(String(data.get('ops_list') ?? '')))
  add('device', 'create-device', list(String(data.get('device') ?? '')))
  add('ip', 'create-ip', list(String(data.get('ip') ?? '')))
  return caveats
}

byId('new-key', HTMLButtonElement).addEventListener('click', () => {
  createForm.reset()
  clearFieldErrors(createForm)
  createDialog.showModal()
  createName.focus()
})

createOps.addEventListener('input', () => {
  byId('ops-custom', HTMLInputElement).checked = true
})

createForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearFieldErrors(createForm)
  const name = String(new FormData(createForm).get('name') ?? '').trim()
  if (name === '') {
    fieldError('create-name', 'Give the key a name you will recognise later.')
    createName.focus()
    return
  }
  const caveats = formCaveats(createForm)
  if (byId('ops-custom', HTMLInputElement).checked && !caveats.some((c) => c.field === 'create-ops')) {
    fieldError('create-ops', 'List the operations this key may perform, e.g. read, deploy.')
    createOps.focus()
    return
  }
  const expiresIn = String(new FormData(createForm).get('expires_in') ?? '90d')
  createSubmit.disabled = true
  try {
    const created = /** @type {import('./api.js').Minted} */ (
      await api('POST', '/v1/tokens', {
        body: { name, caveats: caveats.map((c) => c.text), expires_in: expiresIn },
      })
    )
    createDialog.close()
    announce(`Created “${created.key.name}”. Copy its token now: it is shown only once.`, 'success')
    await showTokenOnce({ token: created.token, name: created.key.name })
    await load()
    refocus(created.key.id, 'rename')
  } catch (error) {
    let placed = false
    if (error instanceof ApiError) {
      for (const issue of error.errors) {
        const m = /^caveats\.(\d+)/.exec(issue.path ?? '')
        const field =
          m === null ? (issue.path === 'name' ? 'create-name' : null) : caveats[Number(m[1])]?.field
        if (field !== null && field !== undefined) {
          fieldError(field, issue.message)
          if (!placed) document.getElementById(field)?.focus()
          placed = true
        }
      }
    }
    announceError(error, 'Could not create the key')
  } finally {
    createSubmit.disabled = false
  }
})

// ---- rename

const renameDialog = byId('rename-dialog', HTMLDialogElement)
const renameForm = byId('rename-form', HTMLFormElement)
const renameInput = byId('rename-name', HTMLInputElement)
let renaming = ''

/** @param {Key} key */
function openRename(key) {
  renaming = key.id
  clearFieldErrors(renameForm)
  renameInput.value = key.name
  byId('rename-title', HTMLElement).textContent = `Rename “${key.name}”`
  renameDialog.showModal()
  renameInput.focus()
  renameInput.select()
}

renameForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearFieldErrors(renameForm)
  const name = renameInput.value.trim()
  if (name === '') {
    fieldError('rename-name', 'The name cannot be empty.')
    return
  }
  try {
    const { key } = /** @type {{ key: Key }} */ (
      await api('PATCH', `/v1/tokens/${encodeURIComponent(renaming)}`, { body: { name } })
    )
    renameDialog.close()
    announce(`Renamed to “${key.name}”.`, 'success')
    await load()
    refocus(key.id, 'rename')
  } catch (error) {
    if (error instanceof ApiError && error.code === 'validation_failed') {
      fieldError('rename-name', error.errors[0]?.message ?? error.message)
    }
    announceError(error, 'Could not rename the key')
  }
})

// ---- rotate

const rotateDialog = byId('rotate-dialog', HTMLDialogElement)
const rotateForm = byId('rotate-form', HTMLFormElement)
let rotating = ''

/** @type {Record<string, number | undefined>} */
const GRACE_MS = { '0s': 0, '15m': 15 * 60_000, '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 24 * 3_600_000 }

/** @param {Key} key */
function openRotate(key) {
  rotating = key.id
  byId('rotate-title', HTMLElement).textContent = `Rotate “${key.name}”`
  rotateDialog.showModal()
  byId('rotate-grace', HTMLSelectElement).focus()
}

rotateForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  const grace = String(new FormData(rotateForm).get('grace') ?? '0s')
  try {
    const rotated = /** @type {import('./api.js').Minted} */ (
      await api('POST', `/v1/tokens/${encodeURIComponent(rotating)}/rotate`, { body: { grace } })
    )
    rotateDialog.close()
    const graceMs = GRACE_MS[grace] ?? 0
    const note =
      graceMs === 0
        ? 'The old key has been revoked.'
        : `The old key keeps working until ${absoluteTime(Date.now() + graceMs)} (${relativeTime(Date.now() + graceMs)}), then it is revoked.`
    announce(`Rotated “${rotated.key.name}”. Copy the new token now: it is shown only once.`, 'success')
    await showTokenOnce({
      token: rotated.token,
      name: rotated.key.name,
      title: 'Copy the replacement key',
      note,
    })
    await load()
    refocus(rotated.key.id, 'rotate')
  } catch (error) {
    rotateDialog.close()
    announceError(error, 'Could not rotate the key')
  }
})

// ---- revoke and delete

/** @param {Key} key */
async function revoke(key) {
  const ok = await confirmAction({
    title: `Revoke “${key.name}”?`,
    message:
      'Anything using this key, and every token derived from it, stops working within seconds. The key stays listed as revoked for the audit trail.',
    confirm: 'Revoke key',
  })
  if (!ok) {
    refocus(key.id, 'revoke')
    return
  }
  try {
    await api('DELETE', `/v1/tokens/${encodeURIComponent(key.id)}`)
    announce(`Revoked “${key.name}”. It no longer works.`, 'success')
    await load()
    refocus(key.id, 'delete')
  } catch (error) {
    announceError(error, `Could not revoke “${key.name}”`)
    refocus(key.id, 'revoke')
  }
}

/** @param {Key} key */
async function hardDelete(key) {
  const ok = await confirmAction({
    title: `Delete “${key.name}” permanently?`,
    message:
      'The key is revoked if it is not already, and its row is removed for good. Its audit events remain. This cannot be undone.',
    confirm: 'Delete permanently',
  })
  if (!ok) {
    refocus(key.id, 'delete')
    return
  }
  try {
    await api('DELETE', `/v1/tokens/${encodeURIComponent(key.id)}?hard=true`, {
      headers: { 'x-confirm-destructive': 'true' },
    })
    announce(`Deleted “${key.name}”.`, 'success')
    await load()
    byId('new-key', HTMLButtonElement).focus()
  } catch (error) {
    announceError(error, `Could not delete “${key.name}”`)
    refocus(key.id, 'delete')
  }
}

tbody.addEventListener('click', (event) => {
  const target = event.target
  const button = target instanceof Element ? target.closest('button[data-action]') : null
  if (!(button instanceof HTMLElement)) return
  const key = keyById(button.dataset.keyId)
  if (key === undefined) return
  const action = button.dataset.action
  if (action === 'rename') openRename(key)
  else if (action === 'rotate') openRotate(key)
  else if (action === 'revoke') void revoke(key)
  else if (action === 'delete') void hardDelete(key)
})

// ---- list options

const showRevoked = byId('show-revoked', HTMLInputElement)
showRevoked.checked = state.showRevoked
showRevoked.addEventListener('change', async () => {
  state.showRevoked = showRevoked.checked
  const url = new URL(location.href)
  if (state.showRevoked) url.searchParams.set('revoked', '1')
  else url.searchParams.delete('revoked')
  history.replaceState(null, '', url)
  await load()
  announce(state.showRevoked ? 'Showing revoked keys.' : 'Hiding revoked keys.')
})

const filter = byId('key-filter', HTMLInputElement)
filter.addEventListener('input', () => {
  state.filter = filter.value
  render()
})

const sort = byId('key-sort', HTMLSelectElement)
sort.addEventListener('change', () => {
  state.sort = sort.value
  render()
})

initPage()
void load()
