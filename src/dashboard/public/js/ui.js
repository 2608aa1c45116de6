// @ts-check
/**
 * DOM helpers shared by the dashboard pages: element builder, the status live region, dialogs,
 * field errors, the show-once token dialog, and the header's sign-out button.
 */
import { api, describeError } from './api.js'
import { absoluteTime, relativeTime } from './format.js'

/**
 * The page's element with this id, of the expected type; throws when the page has none (a page
 * and its script are served together, so that is a bug, not a state to handle).
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
export function byId(id, type) {
  const node = document.getElementById(id)
  if (!(node instanceof type)) throw new Error(`the page has no #${id} of the expected kind`)
  return node
}

/**
 * Creates an element. Props: `class`, `text`, `dataset`, `on<event>` listeners, other keys as
 * attributes (true = present, false/null/undefined = absent). Children: nodes or text.
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Node | string | null | undefined | false | (Node | string)[])} children
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') node.className = String(value)
    else if (key === 'text') node.textContent = String(value)
    else if (key === 'dataset') Object.assign(node.dataset, value)
    else if (key.startsWith('on') && typeof value === 'function')
      node.addEventListener(key.slice(2), /** @type {EventListener} */ (value))
    else node.setAttribute(key, value === true ? '' : String(value))
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    node.append(child)
  }
  return node
}

/**
 * A `<time>` showing a relative time, with the exact time as its tooltip.
 * @param {string} iso
 * @param {string} [prefix]
 * @returns {HTMLElement}
 */
export function timeEl(iso, prefix = '') {
  return el('time', { datetime: iso, title: absoluteTime(iso) }, `${prefix}${relativeTime(iso)}`)
}

/**
 * Says something in the status region (announced politely to screen readers).
 * @param {string} message
 * @param {'info' | 'success' | 'error'} [kind]
 */
export function announce(message, kind = 'info') {
  const region = document.getElementById('status')
  if (region === null) return
  region.textContent = ''
  region.dataset.kind = kind
  // a fresh text node after clearing, so a repeated message is announced again
  requestAnimationFrame(() => {
    region.textContent = message
  })
}

/**
 * Announces the error of a failed call.
 * @param {unknown} error
 * @param {string} [what] what failed, e.g. "Could not revoke the key"
 */
export function announceError(error, what) {
  const reason = describeError(error)
  announce(what === undefined ? reason : `${what}: ${reason}`, 'error')
}

/**
 * Shows (or clears, with an empty message) the error under a form field.
 * @param {string} fieldId
 * @param {string} message
 */
export function fieldError(fieldId, message) {
  const input = document.getElementById(fieldId)
  const error = document.getElementById(`${fieldId}-error`)
  if (input !== null) {
    if (message === '') input.removeAttribute('aria-invalid')
    else input.setAttribute('aria-invalid', 'true')
  }
  if (error !== null) {
    error.textContent = message
    error.hidden = message === ''
  }
}

/**
 * Clears every field error inside a form.
 * @param {HTMLElement} form
 */
export function clearFieldErrors(form) {
  for (const error of form.querySelectorAll('.field-error')) {
    if (!(error instanceof HTMLElement)) continue
    error.textContent = ''
    error.hidden = true
  }
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid')
}

/**
 * Wires the `[data-close]` buttons of every dialog on the page.
 */
export function wireDialogs() {
  for (const button of document.querySelectorAll('dialog [data-close]')) {
    button.addEventListener('click', () => button.closest('dialog')?.close('cancel'))
  }
}

/**
 * Asks for confirmation in the page's confirm dialog.
 * @param {{ title: string, message: string, confirm: string, danger?: boolean }} options
 * @returns {Promise<boolean>}
 */
export function confirmAction(options) {
  const dialog = byId('confirm-dialog', HTMLDialogElement)
  byId('confirm-title', HTMLElement).textContent = options.title
  byId('confirm-message', HTMLElement).textContent = options.message
  const ok = byId('confirm-ok', HTMLElement)
  ok.textContent = options.confirm
  ok.className = `button ${options.danger === false ? 'primary' : 'danger'}`
  dialog.returnValue = ''
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true })
    dialog.showModal()
    document.getElementById('confirm-cancel')?.focus()
  })
}

/**
 * Shows a token exactly once. The token field is created now and removed (value wiped) when the
 * dialog closes or the page is left; nothing is stored anywhere.
 * @param {{ token: string, name: string, title?: string, note?: string }} options
 * @returns {Promise<void>} resolves when the dialog is closed
 */
export function showTokenOnce(options) {
  const dialog = byId('token-dialog', HTMLDialogElement)
  const slot = byId('token-slot', HTMLElement)
  const note = byId('token-note', HTMLElement)
  byId('token-title', HTMLElement).textContent = options.title ?? 'Copy your new key'
  note.textContent = options.note ?? ''
  note.hidden = options.note === undefined
  const input = /** @type {HTMLInputElement} */ (
    el('input', {
      id: 'token-value',
      class: 'token-value',
      type: 'text',
      readonly: true,
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': 'token-desc',
    })
  )
  input.value = options.token
  const copy = el('button', { type: 'button', class: 'button primary', id: 'copy-token' }, 'Copy')
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(input.value)
      copy.textContent = 'Copied'
      announce('Token copied to the clipboard.', 'success')
    } catch {
      input.focus()
      input.select()
      announce('Copying is not allowed here: the token is selected, press Ctrl+C (or ⌘C) to copy it.', 'info')
    }
  })
  input.addEventListener('focus', () => input.select())
  slot.replaceChildren(
    el('label', { for: 'token-value', class: 'token-label' }, `Token for “${options.name}”`),
    el('div', { class: 'token-row' }, input, copy),
  )
  const wipe = () => {
    input.value = ''
    slot.replaceChildren()
    note.textContent = ''
  }
  const onPageHide = () => {
    wipe()
    if (dialog.open) dialog.close()
  }
  window.addEventListener('pagehide', onPageHide)
  return new Promise((resolve) => {
    const done = byId('token-done', HTMLElement)
    const onDone = () => {
      wipe()
      dialog.close()
    }
    done.addEventListener('click', onDone)
    dialog.addEventListener(
      'close',
      () => {
        done.removeEventListener('click', onDone)
        window.removeEventListener('pagehide', onPageHide)
        wipe()
        resolve()
      },
      { once: true },
    )
    dialog.showModal()
    copy.focus()
  })
}

/**
 * The header's sign-out button: ends this session on the server, then goes to the sign-in page.
 */
export function wireSignOut() {
  const button = document.getElementById('sign-out')
  if (!(button instanceof HTMLButtonElement)) return
  button.addEventListener('click', async () => {
    button.disabled = true
    try {
      await api('POST', '/dashboard/sign-out', { redirectOn401: false })
      location.assign('/sign-in')
    } catch (error) {
      button.disabled = false
      announceError(error, 'Could not sign out')
    }
  })
}

/**
 * What every signed-in page does first.
 */
export function initPage() {
  wireSignOut()
  wireDialogs()
}
