/**
 * A tiny HTML template tag: interpolated strings are escaped, {@link SafeHtml} values (other
 * templates) are inserted as they are, arrays are joined, `undefined` / `null` / `false` render
 * nothing. Pages are built from it so no value reaches the markup unescaped.
 */

/** Markup that is already safe to insert. */
export class SafeHtml {
  /** The markup. */
  readonly value: string
  constructor(value: string) {
    this.value = value
  }
  toString(): string {
    return this.value
  }
}

/** What may be interpolated into {@link html}. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[]

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/**
 * Escapes text for element content and quoted attribute values.
 *
 * @example
 * escapeHtml('<b>"hi"</b>') // '&lt;b&gt;&quot;hi&quot;&lt;/b&gt;'
 */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return value.map(render).join('')
  if (value === undefined || value === null || value === false) return ''
  return escapeHtml(String(value))
}

/**
 * Builds markup, escaping every interpolated value that is not itself {@link SafeHtml}.
 *
 * @example
 * html`<p title="${userText}">${userText}</p>`.value
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? ''
  for (const [i, value] of values.entries()) out += render(value) + (strings[i + 1] ?? '')
  return new SafeHtml(out)
}
