/**
 * The sessions page: the browsers signed in to the dashboard (this one marked), sign out one,
 * or all the others at once. Data comes from /v1/sessions; where a session has not been seen
 * since it signed in, the audit log's `login` event tells its browser and address.
 */
import { api } from './api.js'
import { userAgentSummary } from './format.js'
import { announce, announceError, confirmAction, el, initPage, timeEl } from './ui.js'

const tbody = /** @type {HTMLTableSectionElement} */ (document.querySelector('#sessions-table tbody'))
const count = document.getElementById('sessions-count')
const othersButton = /** @type {HTMLButtonElement} */ (document.getElementById('sign-out-others'))

/** @type {import('./api.js').Key[]} */
let sessions = []
let current = null

async function loginEvents() {
  try {
    const { events } = await api('GET', '/v1/audit?limit=500')
    const byKey = new Map()
    for (const e of events)
      if (e.event === 'login' && e.key_id !== null && !byKey.has(e.key_id)) byKey.set(e.key_id, e)
    return byKey
  } catch {
    return new Map()
  }
}

function row(session, login) {
  const isCurrent = session.id === current
  const ua = session.last_used_user_agent ?? login?.user_agent ?? null
  const ip = session.last_used_ip ?? login?.ip ?? null
  return el(
    'tr',
    { dataset: { sessionId: session.id }, class: isCurrent ? 'current' : '' },
    el(
      'th',
      { scope: 'row' },
      el('span', { class: 'name', title: ua ?? '' }, userAgentSummary(ua)),
      isCurrent ? el('span', { class: 'badge current' }, 'This session') : null,
      el('div', { class: 'sub' }, el('code', { class: 'hint' }, session.hint)),
    ),
    el('td', {}, ip ?? el('span', { class: 'muted' }, 'unknown')),
    el('td', {}, timeEl(session.created_at)),
    el(
      'td',
      {},
      isCurrent
        ? 'now'
        : session.last_used_at === null
          ? el('span', { class: 'muted' }, 'not since signing in')
          : timeEl(session.last_used_at),
    ),
    el('td', {}, timeEl(session.expires_at)),
    el(
      'td',
      { class: 'cell-actions' },
      isCurrent
        ? null
        : el(
            'button',
            {
              type: 'button',
              class: 'button small danger-outline',
              dataset: { action: 'sign-out', sessionId: session.id },
              'aria-label': `Sign out ${userAgentSummary(ua)} session ${session.hint}`,
            },
            'Sign out',
          ),
    ),
  )
}

async function load() {
  try {
    const [data, logins] = await Promise.all([api('GET', '/v1/sessions'), loginEvents()])
    sessions = data.sessions
    current = data.current
    tbody.replaceChildren(...sessions.map((s) => row(s, logins.get(s.id))))
    const others = sessions.filter((s) => s.id !== current).length
    count.textContent = `${sessions.length} ${sessions.length === 1 ? 'session' : 'sessions'}${others === 0 ? ' · no other sessions' : ` · ${others} other${others === 1 ? '' : 's'}`}`
    othersButton.disabled = others === 0
  } catch (error) {
    count.textContent = 'Could not load your sessions.'
    announceError(error, 'Could not load your sessions')
  }
}

othersButton.addEventListener('click', async () => {
  const others = sessions.filter((s) => s.id !== current).length
  const ok = await confirmAction({
    title: 'Sign out all other sessions?',
    message: `Every other browser signed in to this dashboard (${others}) is signed out now. This one stays signed in. API keys are not affected.`,
    confirm: 'Sign out others',
  })
  if (!ok) {
    othersButton.focus()
    return
  }
  try {
    const { revoked } = await api('DELETE', '/v1/sessions/others')
    announce(`Signed out ${revoked} other ${revoked === 1 ? 'session' : 'sessions'}.`, 'success')
    await load()
    document.getElementById('main').focus()
  } catch (error) {
    announceError(error, 'Could not sign out the other sessions')
  }
})

tbody.addEventListener('click', async (event) => {
  const button = /** @type {HTMLElement} */ (event.target).closest('button[data-action="sign-out"]')
  if (button === null) return
  const id = button.dataset.sessionId
  try {
    await api('DELETE', `/v1/sessions/${encodeURIComponent(id)}`)
    announce('Signed out that session.', 'success')
    await load()
    document.getElementById('main').focus()
  } catch (error) {
    announceError(error, 'Could not sign out that session')
  }
})

initPage()
void load()
