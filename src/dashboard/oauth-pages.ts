import type { AuthorizationRecord, OAuthScope } from '../service/index.js'
import { DEFAULT_GRANT_LIFETIME_MS, describeScope, GRANT_LIFETIMES_MS } from '../service/index.js'
import { html, type SafeHtml } from './html.js'

/** What the consent form held when it is shown again (after a choice that admits nothing). */
export interface ConsentForm {
  readonly orgs: string
  readonly apps: string
  readonly readOnly: boolean
  readonly lifetimeMs: number
  readonly error?: string
}

const lifetimeLabel = (ms: number): string => {
  const days = Math.round(ms / 86_400_000)
  return days === 1 ? '1 day' : `${days} days`
}

/**
 * The OAuth consent page: which app asks (its name, where it sends you back), for which API (the
 * resource), what it asks in words; what the user may narrow (orgs, apps, read-only, lifetime);
 * Approve or Deny. A plain form (no script needed): its answer redirects to the app.
 *
 * @example
 * layout({ title: 'Authorize an app', script: 'consent.js', main: consentMain(request, scope, csrf, form) })
 */
export function consentMain(
  request: AuthorizationRecord,
  scope: OAuthScope,
  csrf: string,
  form: ConsentForm,
): SafeHtml {
  const back = new URL(request.redirectUri)
  const lines = describeScope(scope)
  const fixedOrgs = scope.orgs !== null
  const fixedApps = scope.apps !== null
  return html`<div class="narrow">
<h1>Authorize <span id="client-name">${request.clientName}</span></h1>
<section class="card request" aria-labelledby="asks-title">
  <h2 id="asks-title">It asks for a token that can act as you</h2>
  <ul id="asked-scope">${lines.map((line) => html`<li>${line}</li>`)}</ul>
  <p>The token is for <strong id="resource">${request.resource}</strong> only.</p>
  <p>After you decide, you go back to <strong id="redirect-host">${back.host}</strong> (<code>${back.origin}${back.pathname}</code>).</p>
  <p class="hint">App id: <code>${request.clientId}</code></p>
</section>
<form id="consent-form" class="card" method="post" action="/oauth/consent">
  <h2>Give it less, if you like</h2>
  ${form.error === undefined ? '' : html`<p class="notice error" id="consent-error" role="alert">${form.error}</p>`}
  <input type="hidden" name="request" value="${request.id}">
  <input type="hidden" name="csrf" value="${csrf}">
  <div class="field">
    <label for="consent-orgs">Only these orgs</label>
    <input id="consent-orgs" name="orgs" value="${form.orgs}" autocomplete="off" spellcheck="false" placeholder="${fixedOrgs ? '' : 'every org'}" aria-describedby="consent-orgs-hint">
    <p class="hint" id="consent-orgs-hint">${fixedOrgs ? 'Remove any you do not want to share.' : 'Leave empty for every org, or name some: acme, beta.'}</p>
  </div>
  <div class="field">
    <label for="consent-apps">Only these apps</label>
    <input id="consent-apps" name="apps" value="${form.apps}" autocomplete="off" spellcheck="false" placeholder="${fixedApps ? '' : 'all apps'}" aria-describedby="consent-apps-hint">
    <p class="hint" id="consent-apps-hint">${fixedApps ? 'Remove any you do not want to share.' : 'Leave empty for all apps, or name some: web, api.'}</p>
  </div>
  <div class="check">
    <input type="checkbox" id="consent-read-only" name="read_only" value="true"${form.readOnly ? html` checked` : ''}>
    <label for="consent-read-only">Read-only: it may look, never change or deploy</label>
  </div>
  <div class="field">
    <label for="consent-lifetime">Access lasts</label>
    <select id="consent-lifetime" name="lifetime">
      ${GRANT_LIFETIMES_MS.map(
        (ms) =>
          html`<option value="${String(ms)}"${ms === form.lifetimeMs ? html` selected` : ''}>${lifetimeLabel(ms)}</option>`,
      )}
    </select>
  </div>
  <p class="notice warn">Approve only if you started this from ${request.clientName} just now. You can revoke its access at any time on the Keys page, where it shows as an OAuth app.</p>
  <div class="actions start">
    <button type="submit" class="button primary" name="decision" value="approve" id="approve">Approve</button>
    <button type="submit" class="button danger-outline" name="decision" value="deny" id="deny">Deny</button>
  </div>
</form>
</div>`
}

/** The consent form's first state: as asked, read-only when only read was asked, 30 days. */
export function initialConsentForm(scope: OAuthScope): ConsentForm {
  return {
    orgs: (scope.orgs ?? []).join(', '),
    apps: (scope.apps ?? []).join(', '),
    readOnly: scope.ops !== null && scope.ops.length === 1 && scope.ops[0] === 'read',
    lifetimeMs: DEFAULT_GRANT_LIFETIME_MS,
  }
}

/**
 * The page an authorization request that cannot go back to the app gets (unknown client, a
 * redirect URI it did not register, an expired request): never a redirect.
 *
 * @example
 * layout({ title: 'Cannot authorize', script: 'consent.js', main: oauthErrorMain('invalid_client', 'unknown client_id') })
 */
export function oauthErrorMain(code: string, description: string): SafeHtml {
  return html`<div class="narrow">
<h1>This app’s request cannot go on</h1>
<section class="card" aria-labelledby="oauth-error-title">
  <h2 id="oauth-error-title">The request was refused: <code id="oauth-error">${code}</code></h2>
  <p id="oauth-error-description">${description}</p>
  <p>You were not sent back to the app, because crumb cannot be sure where it would send you. Go back to the app and start again; if this keeps happening, tell its developer.</p>
  <p class="links"><a href="/keys">Go to your keys</a></p>
</section>
</div>`
}
