import { CrumbError } from '../errors.js'
import type { KeyRecord } from '../store/index.js'
import type { AuthContext } from './authenticate.js'
import { type Actor, actorFor, type RequestMeta, type Service } from './context.js'
import { checkCredentials, passwordLogin } from './credentials.js'
import { type MintedKey, mintKeyIn, revokeKey, revokeKeyIn } from './keys.js'

/** The name of every dashboard session key (`POST /v1/sessions` and the dashboard sign-in). */
export const SESSION_KEY_NAME = 'Dashboard session'

/**
 * Signs in with a password: a session key (source `dashboard-session`, hidden from the key list).
 *
 * @example
 * const { token, key } = await createSession(svc, { email, password }, meta)
 */
export function createSession(
  svc: Service,
  credentials: { readonly email: string; readonly password: string },
  meta: RequestMeta,
): Promise<MintedKey> {
  return passwordLogin(
    svc,
    credentials,
    { name: SESSION_KEY_NAME, source: 'dashboard-session', ttlMs: svc.config.sessionTtlMs },
    meta,
  )
}

/**
 * The dashboard's sign-in: a new session key; signing in again in the same browser (`previous`)
 * ends the session it had, in the same transaction.
 *
 * @example
 * const { user, minted } = await dashboardSignIn(svc, { email, password }, previousSession, meta)
 */
export async function dashboardSignIn(
  svc: Service,
  credentials: { readonly email: string; readonly password: string },
  previous: AuthContext | undefined,
  meta: RequestMeta,
): Promise<{ user: AuthContext['user']; minted: MintedKey }> {
  const user = await checkCredentials(svc, credentials.email, credentials.password, meta)
  const now = svc.clock.now()
  const minted = await svc.store.transaction(async (tx) => {
    const minted = await mintKeyIn(svc, tx, {
      user,
      name: SESSION_KEY_NAME,
      source: 'dashboard-session',
      ttlMs: svc.config.sessionTtlMs,
      who: actorFor(user, meta),
      alsoAudit: ['login'],
    })
    if (previous !== undefined) {
      await revokeKeyIn(
        svc,
        tx,
        {
          key: previous.key,
          who: actorFor(previous.user, meta, previous.key.id),
          event: 'session_revoked',
          reason: 'signed in again',
          protectLast: false,
        },
        now,
      )
    }
    return minted
  })
  return { user, minted }
}

/**
 * A user's active dashboard sessions, newest first.
 *
 * @example
 * const sessions = await listSessions(svc, user.id)
 */
export async function listSessions(
  svc: Pick<Service, 'store' | 'clock'>,
  userId: string,
): Promise<KeyRecord[]> {
  const sessions = await svc.store.keys.listSessions(userId, { now: svc.clock.now() })
  return sessions.filter((s) => s.status === 'active')
}

/**
 * Ends one session (`session_revoked`, `reason`); returns the row as it is now.
 *
 * @example
 * await signOut(svc, session.key, who)
 */
export function signOut(
  svc: Service,
  session: KeyRecord,
  who: Actor,
  reason = 'signed out',
): Promise<KeyRecord> {
  return revokeKey(svc, { key: session, who, event: 'session_revoked', reason, protectLast: false })
}

/**
 * Ends the user's session `id` (`not_found` when it is not one of their sessions).
 *
 * @example
 * const after = await signOutSession(svc, auth.user.id, id, who)
 */
export async function signOutSession(
  svc: Service,
  userId: string,
  id: string,
  who: Actor,
): Promise<KeyRecord> {
  const session = await svc.store.keys.getForUser(userId, id, svc.clock.now())
  if (session === undefined || session.source !== 'dashboard-session')
    throw new CrumbError('not_found', 'no such session')
  return signOut(svc, session, who)
}

/**
 * "Sign out other sessions": ends every session of the caller's user but the one making the call.
 * Returns how many were ended.
 *
 * @example
 * const n = await signOutOthers(svc, auth, who)
 */
export function signOutOthers(svc: Service, caller: AuthContext, who: Actor): Promise<number> {
  const now = svc.clock.now()
  return svc.store.transaction(async (tx) => {
    let n = 0
    for (const s of await tx.keys.listSessions(caller.user.id, { now })) {
      if (s.id === caller.key.id || s.revokedAt !== null) continue
      const revoked = await revokeKeyIn(
        svc,
        tx,
        { key: s, who, event: 'session_revoked', reason: 'signed out', protectLast: false },
        now,
      )
      if (revoked) n++
    }
    return n
  })
}
