// @ts-check
/**
 * Sign in and register. Signing in posts to /dashboard/sign-in, which sets the HttpOnly session
 * cookie (the page never sees the session token). Registering calls POST /v1/users, shows the
 * account's first key once, then signs in the same way.
 */
import { ApiError, api } from './api.js'
import { announce, announceError, clearFieldErrors, fieldError, showTokenOnce } from './ui.js'

const form = /** @type {HTMLFormElement} */ (document.getElementById('auth-form'))
const register = form.dataset.mode === 'register'

/** Where to go afterwards: a path on this site only. */
function nextUrl() {
  const next = form.dataset.next ?? '/keys'
  try {
    const url = new URL(next, location.origin)
    return url.origin === location.origin ? `${url.pathname}${url.search}` : '/keys'
  } catch {
    return '/keys'
  }
}

/** @param {unknown} error */
function placeErrors(error) {
  if (!(error instanceof ApiError)) return false
  let placed = false
  for (const issue of error.errors) {
    const field = issue.path === 'email' ? 'email' : issue.path === 'password' ? 'password' : null
    if (field === null) continue
    fieldError(field, issue.message)
    if (!placed) document.getElementById(field)?.focus()
    placed = true
  }
  return placed
}

/**
 * @param {string} email
 * @param {string} password
 */
async function signIn(email, password) {
  await api('POST', '/dashboard/sign-in', { body: { email, password }, redirectOn401: false })
}

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearFieldErrors(form)
  const data = new FormData(form)
  const email = String(data.get('email') ?? '').trim()
  const password = String(data.get('password') ?? '')
  let invalid = null
  if (email === '') {
    fieldError('email', 'Enter your email address.')
    invalid ??= 'email'
  }
  if (password === '' || (register && password.length < 8)) {
    fieldError('password', register ? 'Choose a password of at least 8 characters.' : 'Enter your password.')
    invalid ??= 'password'
  }
  if (invalid !== null) {
    document.getElementById(invalid)?.focus()
    return
  }
  const submit = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'))
  submit.disabled = true
  announce(register ? 'Creating your account…' : 'Signing in…')
  try {
    if (register) {
      let created
      try {
        created = /** @type {import('./api.js').Minted} */ (
          await api('POST', '/v1/users', { body: { email, password }, redirectOn401: false })
        )
      } catch (error) {
        if (error instanceof ApiError && error.code === 'conflict') {
          fieldError('email', 'An account with this email already exists. Sign in instead.')
          document.getElementById('email')?.focus()
        } else placeErrors(error)
        announceError(error, 'Could not create the account')
        return
      }
      await signIn(email, password)
      announce('Account created. Copy your first key now: it is shown only once.', 'success')
      await showTokenOnce({
        token: created.token,
        name: created.key.name,
        title: 'Your account is ready',
        note: 'This first key can act as you from scripts or the API. The dashboard does not need it.',
      })
    } else {
      await signIn(email, password)
    }
    announce('Signed in.', 'success')
    location.assign(nextUrl())
  } catch (error) {
    if (error instanceof ApiError && error.code === 'unauthorized') {
      fieldError('password', 'Wrong email or password.')
      document.getElementById('password')?.focus()
    } else placeErrors(error)
    announceError(error, register ? 'Could not sign in' : 'Could not sign in')
  } finally {
    submit.disabled = false
  }
})

document.getElementById('email')?.focus()
