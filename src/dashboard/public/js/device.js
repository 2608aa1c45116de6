/**
 * Device approval (the device flow's verification URI): look up the code, show which device
 * asks, approve or deny. Arriving with `?user_code=` looks it up at once.
 */
import { ApiError, api } from './api.js'
import { absoluteTime, normalizeUserCode, relativeTime, userAgentSummary } from './format.js'
import { announce, announceError, clearFieldErrors, fieldError, initPage } from './ui.js'

const form = /** @type {HTMLFormElement} */ (document.getElementById('code-form'))
const input = /** @type {HTMLInputElement} */ (document.getElementById('user-code'))
const requestSection = document.getElementById('device-request')
const resultSection = document.getElementById('device-result')
const approveButton = /** @type {HTMLButtonElement} */ (document.getElementById('approve'))
const denyButton = /** @type {HTMLButtonElement} */ (document.getElementById('deny'))

let pending = null

function setText(id, text) {
  document.getElementById(id).textContent = text
}

async function lookUp() {
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
    const { request } = await api('GET', `/v1/auth/device?user_code=${encodeURIComponent(code)}`)
    pending = request
    setText('request-device', request.device)
    setText('request-key-name', `CLI login on ${request.device}`)
    setText('request-code', request.user_code)
    setText('request-ip', request.ip ?? 'unknown address')
    const agent = document.getElementById('request-agent')
    agent.textContent = userAgentSummary(request.user_agent)
    agent.title = request.user_agent ?? ''
    setText('request-created', `${relativeTime(request.created_at)} (${absoluteTime(request.created_at)})`)
    setText('request-expires', relativeTime(request.expires_at))
    requestSection.hidden = false
    approveButton.disabled = false
    denyButton.disabled = false
    document.getElementById('request-title').focus()
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

async function decide(approve) {
  if (pending === null) return
  approveButton.disabled = true
  denyButton.disabled = true
  try {
    const { request } = await api('POST', '/v1/auth/device/approve', {
      body: { user_code: pending.user_code, approve },
    })
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
    document.getElementById('result-title').focus()
  } catch (error) {
    approveButton.disabled = false
    denyButton.disabled = false
    announceError(error, approve ? 'Could not approve the device' : 'Could not deny the device')
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault()
  void lookUp()
})
approveButton.addEventListener('click', () => void decide(true))
denyButton.addEventListener('click', () => void decide(false))

initPage()
if (input.value.trim() !== '') void lookUp()
else input.focus()
