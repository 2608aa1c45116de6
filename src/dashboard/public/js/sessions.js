// @ts-check
/**
 * The sessions page: the browsers signed in to the dashboard (this one marked), sign out one,
 * or all the others at once. Data comes from /v1/sessions; where a session has not been seen
 * since it signed in, the audit log's `login` event tells its browser and address.
 */
import { api } from './api.js'
import { userAgentSummary } from './format.js'
import { announce, announceError, byId, confirmAction, el, initPage, timeEl } from './ui.js'

/** @typedef {import('./api.js').Key} Key */
/** @typedef {import('./api.js').AuditEvent} AuditEvent */

const tbody = /** @type {HTMLTableSectionElement} */ (document.querySelector('#sessions-table tbody'))
const count = byId('sessions-count', HTMLElement)
const othersButton = byId('sign-out-others', HTMLButtonElement)

/** @type {Key[]} */
let sessions = []
/** @type {string | null} */
let current = null

/** @returns {Promise<Map<string, AuditEvent>>} the latest `login` event of each session */

async function loginEvents() {
  try {
    const { events } = /** @type {{ events: AuditEvent[] }} */ (await api('GET', '/v1/audit?limit=500'))
    /** @type {Map<string, AuditEvent>} */
    const byKey = new Map()
    for (const e of events)
      if (e.event === 'login' && e.key_id !== null && !byKey.has(e.key_id)) byKey.set(e.key_id, e)
    return byKey
  } catch {
    return new Map()
  }
}

/**
 * @param {Key} session
 * @param {AuditEvent | undefined} login
 */
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
    const [answer, logins] = await Promise.all([api('GET', '/v1/sessions'), loginEvents()])
    const data = /** @type {{ sessions: Key[], current: string | null }} */ (answer)
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
    const { revoked } = /** @type {{ revoked: number }} */ (
      await api('DELETE', '/v1/sessions/others', { headers: { 'x-confirm-destructive': 'true' } })
    )
    announce(`Signed out ${revoked} other ${revoked === 1 ? 'session' : 'sessions'}.`, 'success')
    await load()
    byId('main', HTMLElement).focus()
  } catch (error) {
    announceError(error, 'Could not sign out the other sessions')
  }
})

tbody.addEventListener('click', async (event) => {
  const target = event.target
  const button = target instanceof Element ? target.closest('button[data-action="sign-out"]') : null
  if (!(button instanceof HTMLElement)) return
  const id = button.dataset.sessionId ?? ''
  try {
    await api('DELETE', `/v1/sessions/${encodeURIComponent(id)}`)
    announce('Signed out that session.', 'success')
    await load()
    byId('main', HTMLElement).focus()
  } catch (error) {
    announceError(error, 'Could not sign out that session')
  }
})

initPage()
void load()
