// @ts-check
/**
 * Device approval (the device flow's verification URI): look up the code, show which device
 * asks, approve or deny. Arriving with `?user_code=` looks it up at once.
 */
import { ApiError, api, csrfToken } from './api.js'
import { absoluteTime, normalizeUserCode, relativeTime, userAgentSummary } from './format.js'
import { announce, announceError, byId, clearFieldErrors, fieldError, initPage } from './ui.js'

/**
 * A waiting device authorization, as `GET /v1/auth/device?user_code=` shows it.
 * `replaces`: the signed-in user's key of the same name that approving revokes (#15 item 10).
 * @typedef {{ id: string, name: string, hint: string, created_at: string, last_used_at: string | null,
 *   last_used_ip: string | null, last_used_user_agent: string | null }} ReplacedKey
 * @typedef {{ device: string, user_code: string, ip: string | null, user_agent: string | null,
 *   created_at: string, expires_at: string, replaces?: ReplacedKey | null,
 *   same_address?: boolean | null }} DeviceRequest
 */

const form = byId('code-form', HTMLFormElement)
const input = byId('user-code', HTMLInputElement)
const requestSection = byId('device-request', HTMLElement)
const resultSection = byId('device-result', HTMLElement)
const approveButton = byId('approve', HTMLButtonElement)
const denyButton = byId('deny', HTMLButtonElement)

/** @type {DeviceRequest | null} */
let pending = null

/**
 * @param {string} id
 * @param {string} text
 */
function setText(id, text) {
  byId(id, HTMLElement).textContent = text
}

/**
 * Fills the warning shown when approving would replace an existing key of the same name.
 * @param {DeviceRequest} request
 */
function showReplacement(request) {
  const box = byId('request-replaces', HTMLElement)
  const old = request.replaces
  box.hidden = old == null
  if (old == null) return
  setText('replaces-name', `“${old.name}” (${old.hint})`)
  setText(
    'replaces-last-use',
    old.last_used_at == null
      ? 'never used'
      : `last used ${relativeTime(old.last_used_at)} from ${old.last_used_ip ?? 'an unknown address'} (${userAgentSummary(old.last_used_user_agent)})`,
  )
  setText(
    'replaces-place',
    request.same_address === true
      ? 'This request comes from the same address that key was last used from.'
      : request.same_address === false
        ? `This request comes from ${request.ip}, not from where that key was last used: another device may merely have chosen the name “${request.device}”. If you did not just run crumb login there yourself, deny.`
        : 'There is no last use to compare this request’s address with: deny unless you just ran crumb login there yourself.',
  )
}

/** @param {boolean} deliberate typed and submitted by the user (counts against the code-guessing limit) */
async function lookUp(deliberate) {
  clearFieldErrors(form)
  const code = normalizeUserCode(input.value)
  if (code === '') {
    fieldError('user-code', 'Enter the code your terminal shows.')
    input.focus()
    return
  }
  input.value = code
  requestSection.hidden = true
  resultSection.hidden = true
  try {
    const { request } = /** @type {{ request: DeviceRequest }} */ (
      // a submitted code proves itself with the CSRF token; a code from the address bar does not
      await api('GET', `/v1/auth/device?user_code=${encodeURIComponent(code)}`, {
        headers: deliberate ? { 'x-csrf-token': csrfToken() } : {},
      })
    )
    pending = request
    setText('request-device', request.device)
    setText('request-key-name', `CLI login on ${request.device}`)
    setText('request-code', request.user_code)
    setText('request-ip', request.ip ?? 'unknown address')
    const agent = byId('request-agent', HTMLElement)
    agent.textContent = userAgentSummary(request.user_agent)
    agent.title = request.user_agent ?? ''
    setText('request-created', `${relativeTime(request.created_at)} (${absoluteTime(request.created_at)})`)
    setText('request-expires', relativeTime(request.expires_at))
    showReplacement(request)
    requestSection.hidden = false
    approveButton.disabled = false
    denyButton.disabled = false
    byId('request-title', HTMLElement).focus()
    announce(`Device ${request.device} is asking for a key. Approve or deny.`)
  } catch (error) {
    pending = null
    if (error instanceof ApiError && error.code === 'not_found') {
      fieldError(
        'user-code',
        'No waiting request has this code. It may have expired (codes last 10 minutes) or been used already: run crumb login again.',
      )
      input.focus()
      announce('No waiting request has this code.', 'error')
    } else if (error instanceof ApiError && error.code === 'validation_failed') {
      fieldError('user-code', 'That does not look like a code. It has eight letters, like WDJB-MJHT.')
      input.focus()
    } else {
      announceError(error, 'Could not look up the code')
    }
  }
}

/** @param {boolean} approve */
async function decide(approve) {
  if (pending === null) return
  approveButton.disabled = true
  denyButton.disabled = true
  try {
    const { request } = /** @type {{ request: DeviceRequest }} */ (
      await api('POST', '/v1/auth/device/approve', { body: { user_code: pending.user_code, approve } })
    )
    requestSection.hidden = true
    resultSection.hidden = false
    if (approve) {
      setText('result-title', 'Device approved')
      setText(
        'result-text',
        `“CLI login on ${request.device}” is being created. Go back to your terminal: crumb finishes the login by itself within a few seconds.`,
      )
      announce(`Approved ${request.device}.`, 'success')
    } else {
      setText('result-title', 'Request denied')
      setText(
        'result-text',
        `${request.device} gets no key. If you did not start this login, nothing else is needed.`,
      )
      announce(`Denied ${request.device}.`, 'success')
    }
    pending = null
    form.reset()
    input.value = ''
    form.hidden = true // done: the code is used up
    byId('result-title', HTMLElement).focus()
  } catch (error) {
    approveButton.disabled = false
    denyButton.disabled = false
    announceError(error, approve ? 'Could not approve the device' : 'Could not deny the device')
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault()
  void lookUp(true)
})
approveButton.addEventListener('click', () => void decide(true))
denyButton.addEventListener('click', () => void decide(false))

initPage()
if (input.value.trim() !== '') void lookUp(false)
else input.focus()
