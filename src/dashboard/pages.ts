import { html, type SafeHtml } from './html.js'

/**
 * The dashboard's pages as server-rendered HTML skeletons. Each page loads one ES module from
 * `/assets/js/` that fills it from the `/v1` API; no inline script or style anywhere, so the
 * Content-Security-Policy can forbid both.
 */

/** A page of the signed-in dashboard (for the navigation's `aria-current`). */
export type Section = 'keys' | 'sessions' | 'audit' | 'device' | 'trusted-ci'

/** What {@link layout} takes. */
export interface LayoutOptions {
  readonly title: string
  /** Module under `/assets/js/`. */
  readonly script: string
  /** The signed-in user, when there is one: shows the navigation and the sign-out button. */
  readonly email?: string
  readonly section?: Section
  readonly main: SafeHtml
  /** Extra class on `<main>`. */
  readonly mainClass?: string
  /** The page's referrer policy (default `no-referrer`; the OAuth consent needs `same-origin` for its form's Origin). */
  readonly referrer?: 'no-referrer' | 'same-origin'
}

const NAV: readonly { section: Section; href: string; label: string }[] = [
  { section: 'keys', href: '/keys', label: 'Keys' },
  { section: 'sessions', href: '/sessions', label: 'Sessions' },
  { section: 'trusted-ci', href: '/trusted-ci', label: 'Trusted CI' },
  { section: 'audit', href: '/audit', label: 'Audit log' },
]

function header(email: string | undefined, section: Section | undefined): SafeHtml {
  if (email === undefined) {
    return html`<header class="site-header"><a class="brand" href="/">${brandMark()}crumb</a></header>`
  }
  const links = NAV.map(
    (n) =>
      html`<li><a href="${n.href}"${n.section === section ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
  )
  return html`<header class="site-header">
  <a class="brand" href="/keys">${brandMark()}crumb</a>
  <nav aria-label="Main"><ul>${links}</ul></nav>
  <div class="account">
    <span class="account-email" title="Signed in as ${email}">${email}</span>
    <button type="button" class="button subtle" id="sign-out">Sign out</button>
  </div>
</header>`
}

function brandMark(): SafeHtml {
  return html`<svg class="brand-mark" aria-hidden="true" viewBox="0 0 24 24" width="22" height="22"><circle cx="12" cy="12" r="10"/><circle cx="8.5" cy="9" r="1.6"/><circle cx="14.5" cy="8" r="1.2"/><circle cx="15" cy="14.5" r="1.8"/><circle cx="9" cy="15.5" r="1.1"/></svg>`
}

/**
 * The page frame: head (stylesheet, the page's module), skip link, header with navigation, the
 * status live region, main.
 *
 * @example
 * layout({ title: 'Keys', script: 'keys.js', email, section: 'keys', main: keysMain() }).value
 */
export function layout(options: LayoutOptions): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="${options.referrer ?? 'no-referrer'}">
<title>${options.title} · crumb</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/dashboard.css">
<script type="module" src="/assets/js/${options.script}"></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
${header(options.email, options.section)}
<div class="status-wrap"><div id="status" class="flash" role="status" aria-live="polite" aria-atomic="true"></div></div>
<main id="main" tabindex="-1"${options.mainClass === undefined ? '' : html` class="${options.mainClass}"`}>
<noscript><p class="notice error">The dashboard needs JavaScript to talk to the API.</p></noscript>
${options.main}
</main>
</body>
</html>
`
}

/** The confirmation dialog every destructive action goes through. */
function confirmDialog(): SafeHtml {
  return html`<dialog id="confirm-dialog" class="dialog" aria-labelledby="confirm-title" aria-describedby="confirm-message">
  <form method="dialog" class="dialog-body">
    <h2 id="confirm-title">Are you sure?</h2>
    <p id="confirm-message"></p>
    <div class="actions">
      <button type="submit" value="cancel" class="button" id="confirm-cancel">Cancel</button>
      <button type="submit" value="confirm" class="button danger" id="confirm-ok">Confirm</button>
    </div>
  </form>
</dialog>`
}

/** The dialog that shows a new token once. Its token field is created on open and removed on close. */
function tokenDialog(): SafeHtml {
  return html`<dialog id="token-dialog" class="dialog" aria-labelledby="token-title" aria-describedby="token-desc">
  <div class="dialog-body">
    <h2 id="token-title">Copy your new key</h2>
    <p id="token-desc">This is the only time the token is shown. Store it somewhere safe, such as a secret manager: crumb keeps no copy and cannot show it again.</p>
    <div id="token-slot"></div>
    <p id="token-note" class="hint" hidden></p>
    <div class="actions">
      <button type="button" class="button primary" id="token-done">Done, I have stored it</button>
    </div>
  </div>
</dialog>`
}

/** The header row of a data table: one `<th scope="col">` a label. */
function columnHeads(labels: readonly (string | SafeHtml)[]): SafeHtml {
  return html`<tr>${labels.map((label) => html`<th scope="col">${label}</th>`)}</tr>`
}

/** A dialog form's buttons: Cancel (closes the dialog) and the primary `submit`. */
function formActions(submit: string): SafeHtml {
  return html`<div class="actions">
      <button type="button" class="button" data-close>Cancel</button>
      <button type="submit" class="button primary">${submit}</button>
    </div>`
}

/** A free-text restriction of the create-key form (`create-<name>`), with its error line. */
function caveatField(name: string, label: string, placeholder: string): SafeHtml {
  return html`<div class="field">
  <label for="create-${name}">${label}</label>
  <input id="create-${name}" name="${name}" autocomplete="off" spellcheck="false" placeholder="${placeholder}" aria-describedby="create-${name}-error">
  <p class="field-error" id="create-${name}-error" hidden></p>
</div>`
}

/** A duration as whole days for people ("30 days", "1 day"). */
function inDays(ms: number): string {
  const days = Math.max(1, Math.round(ms / 86_400_000))
  return days === 1 ? '1 day' : `${days} days`
}

/**
 * Keys: the table (filter, sort, show revoked), create / rename / rotate / revoke / delete.
 *
 * @example
 * layout({ ..., main: keysMain() })
 */
export function keysMain(unusedKeyTtlMs: number): SafeHtml {
  // Stale at a third of the service's unused-key revocation age (#18 item 10): a warning well
  // before the job acts, taken from the service's own setting rather than a figure of the page's.
  const staleAfterMs = Math.round(unusedKeyTtlMs / 3)
  return html`<div class="page-head" data-stale-after-ms="${String(staleAfterMs)}">
  <div>
    <h1>Keys</h1>
    <p class="lede">Every key that can act for you, one per device or integration. Keys unused for ${inDays(staleAfterMs)} are marked stale, and the service revokes keys unused for ${inDays(unusedKeyTtlMs)}; revoke anything you do not recognise.</p>
  </div>
  <button type="button" class="button primary" id="new-key">Create key</button>
</div>
<div class="toolbar" role="group" aria-label="Key list options">
  <div class="field inline grow">
    <label for="key-filter">Find</label>
    <input type="search" id="key-filter" placeholder="Name, hint, device, IP…" autocomplete="off" spellcheck="false">
  </div>
  <div class="field inline">
    <label for="key-sort">Sort by</label>
    <select id="key-sort">
      <option value="last_used">Last used, stale first</option>
      <option value="last_used_desc">Last used, recent first</option>
      <option value="created">Created, newest first</option>
      <option value="expires">Expires, soonest first</option>
      <option value="name">Name</option>
    </select>
  </div>
  <div class="check">
    <input type="checkbox" id="show-revoked">
    <label for="show-revoked">Show revoked keys</label>
  </div>
</div>
<div class="table-wrap">
  <table id="keys-table" class="data" aria-describedby="keys-count">
    <caption class="sr-only">Your keys</caption>
    <thead>
      ${columnHeads(['Name', 'Hint', 'Source', 'Created', 'Expires', 'Last used', 'Scope', 'Status', html`<span class="sr-only">Actions</span>`])}
    </thead>
    <tbody></tbody>
  </table>
</div>
<p id="keys-count" class="table-foot" aria-live="off">Loading keys…</p>

<dialog id="create-dialog" class="dialog wide" aria-labelledby="create-title">
  <form id="create-form" class="dialog-body" novalidate>
    <h2 id="create-title">Create a key</h2>
    <div class="field">
      <label for="create-name">Name</label>
      <input id="create-name" name="name" required maxlength="100" autocomplete="off" aria-describedby="create-name-hint create-name-error">
      <p class="hint" id="create-name-hint">Where it will live, so you recognise it later: “Deploy from GitHub Actions”.</p>
      <p class="field-error" id="create-name-error" hidden></p>
    </div>
    <fieldset class="caveats">
      <legend>Restrictions <span class="hint">(optional; each one narrows what the key may do)</span></legend>
      <div class="grid-2">
        ${caveatField('org', 'Organisations', 'acme, beta')}
        ${caveatField('app', 'Apps', 'web')}
      </div>
      <fieldset class="radios">
        <legend>Operations</legend>
        <div class="check"><input type="radio" name="ops" id="ops-all" value="all" checked><label for="ops-all">All operations</label></div>
        <div class="check"><input type="radio" name="ops" id="ops-read" value="read"><label for="ops-read">Read-only</label></div>
        <div class="check"><input type="radio" name="ops" id="ops-custom" value="custom"><label for="ops-custom">Only these:</label></div>
        <div class="field">
          <label for="create-ops" class="sr-only">Allowed operations</label>
          <input id="create-ops" name="ops_list" autocomplete="off" spellcheck="false" placeholder="read, deploy" aria-describedby="create-ops-error">
          <p class="field-error" id="create-ops-error" hidden></p>
        </div>
      </fieldset>
      <div class="grid-2">
        <div class="field">
          <label for="create-expires">Expires after</label>
          <select id="create-expires" name="expires_in">
            <option value="1d">1 day</option>
            <option value="7d">7 days</option>
            <option value="30d">30 days</option>
            <option value="90d" selected>90 days</option>
            <option value="365d">1 year</option>
          </select>
        </div>
        ${caveatField('device', 'Device', 'laptop-7')}
      </div>
      ${caveatField('ip', 'IP addresses or ranges', '10.0.0.0/8, 203.0.113.7')}
    </fieldset>
    ${formActions('Create key')}
  </form>
</dialog>

<dialog id="rename-dialog" class="dialog" aria-labelledby="rename-title">
  <form id="rename-form" class="dialog-body" novalidate>
    <h2 id="rename-title">Rename key</h2>
    <div class="field">
      <label for="rename-name">New name</label>
      <input id="rename-name" name="name" required maxlength="100" autocomplete="off" aria-describedby="rename-name-error">
      <p class="field-error" id="rename-name-error" hidden></p>
    </div>
    ${formActions('Save name')}
  </form>
</dialog>

<dialog id="rotate-dialog" class="dialog" aria-labelledby="rotate-title" aria-describedby="rotate-desc">
  <form id="rotate-form" class="dialog-body">
    <h2 id="rotate-title">Rotate key</h2>
    <p id="rotate-desc">A new key with the same name and restrictions replaces this one. Keep the old one working for a while so you can deploy the new token first.</p>
    <div class="field">
      <label for="rotate-grace">Old key keeps working for</label>
      <select id="rotate-grace" name="grace">
        <option value="0s">No time: revoke it now</option>
        <option value="15m">15 minutes</option>
        <option value="1h" selected>1 hour</option>
        <option value="6h">6 hours</option>
        <option value="24h">24 hours</option>
      </select>
    </div>
    ${formActions('Rotate')}
  </form>
</dialog>
${tokenDialog()}
${confirmDialog()}`
}

/**
 * Sessions: this and the other signed-in browsers; sign out one or all others.
 *
 * @example
 * layout({ ..., main: sessionsMain() })
 */
export function sessionsMain(): SafeHtml {
  return html`<div class="page-head">
  <div>
    <h1>Sessions</h1>
    <p class="lede">Browsers signed in to this dashboard. They are not API keys and never appear in the key list.</p>
  </div>
  <button type="button" class="button danger-outline" id="sign-out-others">Sign out all other sessions</button>
</div>
<div class="table-wrap">
  <table id="sessions-table" class="data">
    <caption class="sr-only">Dashboard sessions</caption>
    <thead>
      ${columnHeads(['Device', 'IP address', 'Signed in', 'Last seen', 'Expires', html`<span class="sr-only">Actions</span>`])}
    </thead>
    <tbody></tbody>
  </table>
</div>
<p id="sessions-count" class="table-foot">Loading sessions…</p>
${confirmDialog()}`
}

/**
 * Audit log: newest first, filter by key, load more.
 *
 * @example
 * layout({ ..., main: auditMain() })
 */
export function auditMain(): SafeHtml {
  return html`<div class="page-head">
  <div>
    <h1>Audit log</h1>
    <p class="lede">Everything that happened to your keys and sessions, newest first. The log is append-only and outlives deleted keys.</p>
  </div>
</div>
<div class="toolbar" role="group" aria-label="Audit log filter">
  <div class="field inline">
    <label for="audit-key">Key</label>
    <select id="audit-key"><option value="">All keys and sessions</option></select>
  </div>
</div>
<div class="table-wrap">
  <table id="audit-table" class="data">
    <caption class="sr-only">Audit events</caption>
    <thead>
      ${columnHeads(['Time', 'Event', 'Key', 'Actor', 'IP address', 'User agent', 'Details'])}
    </thead>
    <tbody></tbody>
  </table>
</div>
<p id="audit-count" class="table-foot">Loading events…</p>
<div class="more"><button type="button" class="button" id="audit-more" hidden>Load older events</button></div>`
}

/**
 * Device approval, the device flow's verification URI: enter (or arrive with) the user code,
 * see the device, approve or deny.
 *
 * @example
 * layout({ ..., main: deviceMain('WDJB-MJHT') })
 */
export function deviceMain(userCode: string): SafeHtml {
  return html`<div class="narrow">
<h1>Approve a device</h1>
<p class="lede">A terminal running <code>crumb login</code> shows a one-time code. Enter it to see which device is asking for a key.</p>
<form id="code-form" class="card" novalidate>
  <div class="field">
    <label for="user-code">One-time code</label>
    <input id="user-code" name="user_code" class="code-input" value="${userCode}" required maxlength="32" autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="WDJB-MJHT" aria-describedby="user-code-error">
    <p class="field-error" id="user-code-error" hidden></p>
  </div>
  <div class="actions start"><button type="submit" class="button primary">Continue</button></div>
</form>
<section id="device-request" class="card request" aria-labelledby="request-title" hidden>
  <h2 id="request-title" tabindex="-1">Is this you?</h2>
  <p>Device <strong id="request-device"></strong> asks for a key named <strong id="request-key-name"></strong>.</p>
  <dl class="facts">
    <div><dt>Code</dt><dd id="request-code" class="mono"></dd></div>
    <div><dt>Asked from</dt><dd id="request-ip"></dd></div>
    <div><dt>Program</dt><dd id="request-agent"></dd></div>
    <div><dt>Asked</dt><dd id="request-created"></dd></div>
    <div><dt>Code expires</dt><dd id="request-expires"></dd></div>
  </dl>
  <div id="request-replaces" class="notice error" hidden>
    <p><strong>Approving replaces your key <span id="replaces-name"></span>.</strong> That key stops working at once; the device asking here gets a new one in its place.</p>
    <p>The key being replaced was <span id="replaces-last-use"></span>.</p>
    <p id="replaces-place"></p>
  </div>
  <p class="notice warn">Approve only if you started <code>crumb login</code> on that device just now. The device gets a key that can act as you.</p>
  <div class="actions start">
    <button type="button" class="button primary" id="approve">Approve</button>
    <button type="button" class="button danger-outline" id="deny">Deny</button>
  </div>
</section>
<section id="device-result" class="card" aria-labelledby="result-title" hidden>
  <h2 id="result-title" tabindex="-1"></h2>
  <p id="result-text"></p>
  <p class="links"><a href="/keys">Go to your keys</a> · <a href="/device">Approve another device</a></p>
</section>
</div>`
}

/**
 * Sign in, or register (`register` true). `next` is where to go afterwards (already checked to
 * be a path on this site).
 *
 * @example
 * layout({ title: 'Sign in', script: 'sign-in.js', main: signInMain({ register: false, next: '/keys' }) })
 */
export function signInMain(options: { register: boolean; next: string }): SafeHtml {
  const { register, next } = options
  const forDevice = next.startsWith('/device')
  const forApp = next.startsWith('/oauth/consent')
  const alt = register
    ? html`<p class="alt">Already have an account? <a href="/sign-in?next=${encodeURIComponent(next)}">Sign in</a></p>`
    : html`<p class="alt">New to crumb? <a href="/register?next=${encodeURIComponent(next)}">Create an account</a></p>`
  return html`<div class="auth-card card">
  <h1>${register ? 'Create your account' : 'Sign in to crumb'}</h1>
  ${forDevice ? html`<p class="notice info">Sign in to approve the device that is waiting, then you will come right back.</p>` : ''}
  ${forApp ? html`<p class="notice info">An app asks for access to your account. Sign in to see what it asks for; you will come right back to decide.</p>` : ''}
  <form id="auth-form" data-mode="${register ? 'register' : 'sign-in'}" data-next="${next}" novalidate>
    <div class="field">
      <label for="email">Email</label>
      <input id="email" name="email" type="email" required autocomplete="${register ? 'email' : 'username'}" spellcheck="false" aria-describedby="email-error">
      <p class="field-error" id="email-error" hidden></p>
    </div>
    <div class="field">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" required minlength="${register ? 8 : 1}" autocomplete="${register ? 'new-password' : 'current-password'}" aria-describedby="${register ? 'password-hint ' : ''}password-error">
      ${register ? html`<p class="hint" id="password-hint">At least 8 characters.</p>` : ''}
      <p class="field-error" id="password-error" hidden></p>
    </div>
    <div class="actions start"><button type="submit" class="button primary block">${register ? 'Create account' : 'Sign in'}</button></div>
  </form>
  ${alt}
</div>
${register ? tokenDialog() : ''}`
}

/**
 * Trusted CI (#20): the trust policies under which CI jobs exchange their OIDC ID token for a
 * short-lived token — list (issuer, conditions, caveats, last exchange), create, delete.
 *
 * @example
 * layout({ ..., main: trustedCiMain() })
 */
export function trustedCiMain(): SafeHtml {
  return html`<div class="page-head">
  <div>
    <h1>Trusted CI</h1>
    <p class="lede">CI jobs that meet a policy exchange their OIDC ID token for a token that lives minutes: nothing is stored in the CI. Deleting a policy revokes its key and every token exchanged under it.</p>
  </div>
  <button type="button" class="button primary" id="new-policy">New trust policy</button>
</div>
<div class="table-wrap">
  <table id="policies-table" class="data">
    <caption class="sr-only">Trust policies</caption>
    <thead>
      ${columnHeads(['Name', 'Issuer', 'Conditions', 'Caveats', 'Token lifetime', 'Last exchange', html`<span class="sr-only">Actions</span>`])}
    </thead>
    <tbody></tbody>
  </table>
</div>
<p id="policies-count" class="table-foot">Loading trust policies…</p>

<dialog id="policy-dialog" class="dialog wide" aria-labelledby="policy-title">
  <form id="policy-form" class="dialog-body" novalidate>
    <h2 id="policy-title">New trust policy</h2>
    <div class="field">
      <label for="policy-name">Name</label>
      <input id="policy-name" name="name" required maxlength="100" autocomplete="off" aria-describedby="policy-name-error">
      <p class="field-error" id="policy-name-error" hidden></p>
    </div>
    <div class="field">
      <label for="policy-issuer">Issuer</label>
      <input id="policy-issuer" name="issuer" required autocomplete="off" spellcheck="false" value="https://token.actions.githubusercontent.com" aria-describedby="policy-issuer-hint policy-issuer-error">
      <p class="hint" id="policy-issuer-hint">GitHub Actions: https://token.actions.githubusercontent.com · GitLab: https://gitlab.com</p>
      <p class="field-error" id="policy-issuer-error" hidden></p>
    </div>
    <div class="field">
      <label for="policy-audience">Audience</label>
      <input id="policy-audience" name="audience" required autocomplete="off" spellcheck="false" aria-describedby="policy-audience-hint policy-audience-error">
      <p class="hint" id="policy-audience-hint">The aud the job asks for, e.g. this service's URL (crumb exchange --audience).</p>
      <p class="field-error" id="policy-audience-error" hidden></p>
    </div>
    <div class="field">
      <label for="policy-conditions">Conditions</label>
      <textarea id="policy-conditions" name="conditions" rows="3" spellcheck="false" placeholder="repository=acme/web&#10;ref=refs/heads/main" aria-describedby="policy-conditions-hint policy-conditions-error"></textarea>
      <p class="hint" id="policy-conditions-hint">One claim=pattern per line; * matches within one claim.</p>
      <p class="field-error" id="policy-conditions-error" hidden></p>
    </div>
    <div class="field">
      <label for="policy-caveats">Caveats of the tokens</label>
      <textarea id="policy-caveats" name="caveats" rows="3" spellcheck="false" placeholder="org = acme&#10;app = web&#10;ops = deploy" aria-describedby="policy-caveats-error"></textarea>
      <p class="field-error" id="policy-caveats-error" hidden></p>
    </div>
    <div class="field">
      <label for="policy-ttl">Tokens live for</label>
      <select id="policy-ttl" name="ttl">
        <option value="5m">5 minutes</option>
        <option value="15m" selected>15 minutes</option>
        <option value="30m">30 minutes</option>
        <option value="1h">1 hour</option>
      </select>
    </div>
    ${formActions('Create policy')}
  </form>
</dialog>
${confirmDialog()}`
}
