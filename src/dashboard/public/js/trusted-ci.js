// @ts-check
/**
 * The Trusted CI page (#20): trust policies under which CI jobs exchange their OIDC ID token for a
 * short-lived crumb token. Lists them (issuer, conditions, caveats, last exchange), creates and
 * deletes them through /v1/trust-policies.
 */
import { ApiError, api } from './api.js'
import {
  announce,
  announceError,
  byId,
  clearFieldErrors,
  confirmAction,
  el,
  fieldError,
  initPage,
  timeEl,
} from './ui.js'

/**
 * A trust policy as /v1/trust-policies shows it.
 * @typedef {{ id: string, name: string, issuer: string, audience: string,
 *   conditions: Record<string, string>, caveats: string[], ttl: string, key_id: string,
 *   created_at: string, last_exchanged_at: string | null }} TrustPolicy
 */

const tbody =
  byId('policies-table', HTMLTableElement).tBodies[0] ??
  byId('policies-table', HTMLTableElement).createTBody()
const count = byId('policies-count', HTMLElement)
const dialog = byId('policy-dialog', HTMLDialogElement)
const form = byId('policy-form', HTMLFormElement)

/**
 * Non-empty trimmed lines of a textarea.
 * @param {string} text
 * @returns {string[]}
 */
function lines(text) {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

/**
 * @param {string[]} items
 * @returns {HTMLElement}
 */
function list(items) {
  return items.length === 0
    ? el('span', { class: 'muted' }, 'none')
    : el('ul', { class: 'plain' }, ...items.map((item) => el('li', {}, el('code', {}, item))))
}

/**
 * @param {TrustPolicy} policy
 * @returns {HTMLElement}
 */
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
    const { policies } = /** @type {{ policies: TrustPolicy[] }} */ (await api('GET', '/v1/trust-policies'))
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

byId('new-policy', HTMLButtonElement).addEventListener('click', () => {
  form.reset()
  clearFieldErrors(form)
  dialog.showModal()
  byId('policy-name', HTMLInputElement).focus()
})

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearFieldErrors(form)
  const data = new FormData(form)
  /** @type {Record<string, string>} */
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
    const { policy } = /** @type {{ policy: TrustPolicy }} */ (
      await api('POST', '/v1/trust-policies', { body })
    )
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
  const target = event.target
  const button = target instanceof Element ? target.closest('button[data-action="delete"]') : null
  if (!(button instanceof HTMLElement)) return
  const ok = await confirmAction({
    title: `Delete “${button.dataset.name ?? ''}”?`,
    message:
      'CI jobs can no longer exchange their ID token under it, and its key is revoked: tokens already exchanged stop working.',
    confirm: 'Delete policy',
  })
  if (!ok) return
  try {
    await api('DELETE', `/v1/trust-policies/${encodeURIComponent(button.dataset.policyId ?? '')}`)
    announce('Deleted the trust policy and revoked its key.', 'success')
    await load()
    byId('main', HTMLElement).focus()
  } catch (error) {
    announceError(error, 'Could not delete the trust policy')
  }
})

initPage()
void load()
