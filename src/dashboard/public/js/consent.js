// @ts-check
/**
 * The OAuth consent page is a plain form: it posts and the answer redirects to the app. The
 * script only wires the page frame (sign out) and keeps a double click from posting twice.
 */
import { byId, initPage } from './ui.js'

const form = document.getElementById('consent-form')
if (form instanceof HTMLFormElement) {
  form.addEventListener('submit', () => {
    // after the submit has been sent with the pressed button's value
    setTimeout(() => {
      byId('approve', HTMLButtonElement).disabled = true
      byId('deny', HTMLButtonElement).disabled = true
    }, 0)
  })
}
initPage()
