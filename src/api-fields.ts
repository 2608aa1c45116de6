import * as z from 'zod'

/**
 * The rules of the API's request fields that people type: email addresses, passwords, key and
 * device names. The token service validates requests with them and the CLI checks its flags with
 * the same ones, so a bad value is refused before a round trip and never passes one check but not
 * the other. Imports only zod: the CLI loads it at start-up (no express, no SQLite).
 */

/** Email addresses: trimmed, at most 254 characters. */
export const emailSchema = z.string().trim().max(254).pipe(z.email())

/** Passwords: 8 to 1024 characters. */
export const passwordSchema = z.string().min(8, 'at least 8 characters').max(1024)

/**
 * Text shown to people (key and device names): no control characters, no bidi overrides or
 * isolates (U+202E makes a name read backwards in a terminal or the dashboard) and
 * no unpaired surrogates (not valid UTF-8 once stored).
 */
const DISPLAY_TEXT = /^[^\p{Cc}\p{Cs}\u202A-\u202E\u2066-\u2069]+$/u

/** The message of a {@link DISPLAY_TEXT} failure. */
const DISPLAY_TEXT_MESSAGE = 'no control characters, bidi overrides or unpaired surrogates'

/** A device name (becomes `CLI login on <device>`). */
export const deviceSchema = z.string().trim().min(1).max(128).regex(DISPLAY_TEXT, DISPLAY_TEXT_MESSAGE)

/** A key name: 1–100 characters of display text (see {@link DISPLAY_TEXT}). */
export const keyNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'at most 100 characters')
  .regex(DISPLAY_TEXT, DISPLAY_TEXT_MESSAGE)

/** Email and password of a sign-in (`POST /v1/sessions`, the dashboard's sign-in form). */
export const credentialsSchema = z.object({ email: emailSchema, password: z.string().min(1).max(1024) })

/**
 * The op a verifier's service token carries (`ops = verify`): the token service admits it on the
 * revocation feed, `POST /v1/verify` and `POST /v1/usage`, and nowhere else (`crumb tokens create --service`).
 *
 * @example
 * createKey({ name: 'deploy-api', caveats: [`ops = ${VERIFY_OP}`] })
 */
export const VERIFY_OP = 'verify'
