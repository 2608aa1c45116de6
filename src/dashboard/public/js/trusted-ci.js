/**
 * The Trusted CI page (#20): trust policies under which CI jobs exchange their OIDC ID token for a
 * short-lived crumb token. Lists them (issuer, conditions, caveats, last exchange), creates and
 * deletes them through /v1/trust-policies.
 */
import { ApiError, api } from './api.js'
import {
  announce,
  announceError,
  clearFieldErrors,
  confirmAction,
  el,
  fieldError,
  initPage,
  timeEl,
} from './ui.js'

const tbody = /** @type {HTMLTableSectionElement} */ (document.querySelector('#policies-table tbody'))
const count = document.getElementById('policies-count')
const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('policy-dialog'))
const form = /** @type {HTMLFormElement} */ (document.getElementById('policy-form'))

/** Non-empty trimmed lines of a textarea. */
function lines(text) {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

function list(items) {
  return items.length === 0
    ? el('span', { class: 'muted' }, 'none')
    : el('ul', { class: 'plain' }, ...items.map((item) => el('li', {}, el('code', {}, item))))
}

function row(policy) {
  const conditions = Object.entries(policy.conditions).map(([claim, pattern]) => `${claim} = ${pattern}`)
  return el(
    'tr',
    { dataset: { policyId: policy.id } },
    el(
      'th',
      { scope: 'row' },
      el('span', { class: 'name' }, policy.name),
      el('div', { class: 'sub' }, el('code', {}, policy.id)),
    ),
    el('td', {}, el('code', {}, policy.issuer), el('div', { class: 'sub' }, `aud ${policy.audience}`)),
    el('td', {}, list(conditions)),
    el('td', {}, list(policy.caveats)),
    el('td', {}, policy.ttl),
    el(
      'td',
      {},
      policy.last_exchanged_at === null
        ? el('span', { class: 'muted' }, 'never')
        : timeEl(policy.last_exchanged_at),
    ),
    el(
      'td',
      { class: 'cell-actions' },
      el(
        'button',
        {
          type: 'button',
          class: 'button small danger-outline',
          dataset: { action: 'delete', policyId: policy.id, name: policy.name },
          'aria-label': `Delete trust policy ${policy.name}`,
        },
        'Delete',
      ),
    ),
  )
}

async function load() {
  try {
    const { policies } = await api('GET', '/v1/trust-policies')
    tbody.replaceChildren(...policies.map(row))
    count.textContent =
      policies.length === 0
        ? 'No trust policies yet.'
        : `${policies.length} ${policies.length === 1 ? 'policy' : 'policies'}`
  } catch (error) {
    count.textContent = 'Could not load your trust policies.'
    announceError(error, 'Could not load your trust policies')
  }
}

document.getElementById('new-policy').addEventListener('click', () => {
  form.reset()
  clearFieldErrors(form)
  dialog.showModal()
  document.getElementById('policy-name').focus()
})

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearFieldErrors(form)
  const data = new FormData(form)
  const conditions = {}
  for (const line of lines(String(data.get('conditions') ?? ''))) {
    const at = line.indexOf('=')
    if (at <= 0) {
      fieldError('policy-conditions', `“${line}” is not claim=pattern`)
      return
    }
    conditions[line.slice(0, at).trim()] = line.slice(at + 1).trim()
  }
  const body = {
    name: String(data.get('name') ?? '').trim(),
    issuer: String(data.get('issuer') ?? '').trim(),
    audience: String(data.get('audience') ?? '').trim(),
    conditions,
    caveats: lines(String(data.get('caveats') ?? '')),
    ttl: String(data.get('ttl') ?? '15m'),
  }
  try {
    const { policy } = await api('POST', '/v1/trust-policies', { body })
    dialog.close()
    announce(`Created trust policy “${policy.name}”.`, 'success')
    await load()
  } catch (error) {
    if (error instanceof ApiError && error.code === 'validation_failed' && error.errors.length > 0) {
      for (const issue of error.errors) {
        const field = String(issue.path ?? '').split('.')[0]
        fieldError(`policy-${field || 'name'}`, issue.message)
      }
      return
    }
    announceError(error, 'Could not create the trust policy')
  }
})

tbody.addEventListener('click', async (event) => {
  const button = /** @type {HTMLElement} */ (event.target).closest('button[data-action="delete"]')
  if (button === null) return
  const ok = await confirmAction({
    title: `Delete “${button.dataset.name}”?`,
    message:
      'CI jobs can no longer exchange their ID token under it, and its key is revoked: tokens already exchanged stop working.',
    confirm: 'Delete policy',
  })
  if (!ok) return
  try {
    await api('DELETE', `/v1/trust-policies/${encodeURIComponent(button.dataset.policyId)}`)
    announce('Deleted the trust policy and revoked its key.', 'success')
    await load()
    document.getElementById('main').focus()
  } catch (error) {
    announceError(error, 'Could not delete the trust policy')
  }
})

initPage()
void load()
