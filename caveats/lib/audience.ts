import * as z from 'zod'

/** Longest audience accepted, in UTF-16 code units. */
export const MAX_AUDIENCE_LENGTH = 512

/**
 * The canonical form of an audience (an RFC 8707 resource indicator): an absolute URI without
 * fragment, user info, whitespace or comma, scheme and host lower-cased, default port dropped, and
 * the lone `/` path of an origin removed (`https://Deploy.Example:443/` → `https://deploy.example`).
 * Both sides of a comparison pass through it, so a verifier configured with `https://deploy.example/`
 * admits `aud = https://deploy.example`. Throws on anything else.
 *
 * @example
 * canonicalAudience('HTTPS://Deploy.Example/') // 'https://deploy.example'
 * canonicalAudience('https://api.example/mcp') // 'https://api.example/mcp'
 */
export function canonicalAudience(text: string): string {
  const trimmed = text.trim()
  if (trimmed.length === 0 || trimmed.length > MAX_AUDIENCE_LENGTH) throw new Error('audience length')
  if (/[\s,]/.test(trimmed)) throw new Error('audience holds whitespace or a comma')
  if (!URL.canParse(trimmed)) throw new Error('audience is not an absolute URI')
  const url = new URL(trimmed)
  if (url.hash !== '' || trimmed.includes('#')) throw new Error('audience has a fragment')
  if (url.username !== '' || url.password !== '') throw new Error('audience has user info')
  const href = url.href
  // An origin's lone `/` path is not significant; any other path is, exactly.
  if (url.host !== '' && url.pathname === '/' && url.search === '' && href.endsWith('/'))
    return href.slice(0, -1)
  return href
}

/**
 * Schema of one audience text, giving its canonical form.
 *
 * @example
 * audienceSchema.parse(' https://deploy.example/ ') // 'https://deploy.example'
 */
export const audienceSchema: z.ZodType<string, string> = z.string().transform((text, ctx) => {
  try {
    return canonicalAudience(text)
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : 'bad audience' })
    return z.NEVER
  }
})
