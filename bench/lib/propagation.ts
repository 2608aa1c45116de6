import { attenuate, inspectToken } from '../../src/token/index.js'
import { httpGet, json } from '../http.js'

/** A verifier following the feed: where, how, and where the delays it sees go. */
export interface FeedReader {
  readonly url: string
  /** Long-polls (`wait=5`); without it, a plain read every `everyMs`. */
  readonly longPoll: boolean
  readonly everyMs?: number
  /** Receives, per revocation this reader sees, the time since its POST left (ms). */
  readonly delays: number[]
}

/** What {@link measurePropagation} takes. */
export interface PropagationRun {
  /** Where the revocations are posted. */
  readonly revokeUrl: string
  /** A token of a user: the revocations are attenuations of it, the readers read as it. */
  readonly token: string
  readonly readers: readonly FeedReader[]
  readonly revocations: number
  /** How long the readers wait before the first revocation (their first poll settles). */
  readonly warmupMs: number
  /** A pause between revocations, drawn from [min, max) ms. */
  readonly gapMs: readonly [number, number]
  /** Stop after this long even if not every revocation was sent. Default: no limit. */
  readonly maxMs?: number
  /** How long after the last revocation the readers go on (a short poll's period, say). */
  readonly tailMs?: number
}

type Feed = { cursor: string; entries: { revocation_id?: string }[] }

// failed reads in a row of one reader before the measurement gives up
const MAX_ATTEMPTS = 100

/**
 * Revocation propagation as verifiers see it: revokes attenuations of the token one at a time, each
 * once every long-polling reader received the one before (or 5 s passed), the clock started before
 * the POST leaves (the revocation id is computed offline). The readers are node:http keep-alive
 * clients in this process (see `httpGet`); a 503 or a keep-alive socket closed under a request is
 * retried, as a verifier would, and counted.
 *
 * @example
 * const delays: number[] = []
 * await measurePropagation({ revokeUrl: url, token, readers: [{ url, longPoll: true, delays }], revocations: 100, warmupMs: 300, gapMs: [5, 15] })
 */
export async function measurePropagation(run: PropagationRun): Promise<{ retried: number }> {
  const sentAt = new Map<string, number>()
  const seenBy = new Map<string, number>()
  const waiters = new Map<string, () => void>()
  const longPollers = run.readers.filter((r) => r.longPoll).length
  let retried = 0
  let running = true
  const get = async (url: string): Promise<Feed> => {
    // as a verifier would: a keep-alive socket closed under the request is retried at once, a 503
    // after a pause; a service that keeps failing ends the measurement
    for (let attempt = 1; ; attempt++) {
      const res = await httpGet(url, { authorization: `Bearer ${run.token}` }).catch(() => undefined)
      if (res?.status === 200) return JSON.parse(res.body) as Feed
      if (res !== undefined && res.status !== 503) throw new Error(`feed answered ${res.status}`)
      retried++
      if (attempt >= MAX_ATTEMPTS) throw new Error(`feed read failed ${attempt} times in a row`)
      if (res !== undefined) await new Promise((r) => setTimeout(r, 50))
    }
  }
  const follow = async (reader: FeedReader): Promise<void> => {
    let since = (await get(`${reader.url}/v1/revocations`)).cursor
    while (running) {
      if (!reader.longPoll) await new Promise((r) => setTimeout(r, reader.everyMs ?? 1000))
      const page = await get(`${reader.url}/v1/revocations?since=${since}${reader.longPoll ? '&wait=5' : ''}`)
      for (const e of page.entries) {
        if (e.revocation_id === undefined) continue
        const t0 = sentAt.get(e.revocation_id)
        if (t0 === undefined) continue
        reader.delays.push(performance.now() - t0)
        if (!reader.longPoll) continue
        const n = (seenBy.get(e.revocation_id) ?? 0) + 1
        seenBy.set(e.revocation_id, n)
        if (n === longPollers) waiters.get(e.revocation_id)?.()
      }
      since = page.cursor
    }
  }
  const following = run.readers.map(follow)
  await new Promise((r) => setTimeout(r, run.warmupMs))
  const started = performance.now()
  for (let i = 0; i < run.revocations && performance.now() - started < (run.maxMs ?? Infinity); i++) {
    const child = attenuate(run.token, [`app = propagation-${i}`])
    const rid = inspectToken(child).revocationId
    const delivered = new Promise<void>((r) => {
      const timer = setTimeout(r, 5000)
      waiters.set(rid, () => {
        clearTimeout(timer)
        r()
      })
    })
    sentAt.set(rid, performance.now())
    await json(`${run.revokeUrl}/v1/revocations`, { method: 'POST', body: JSON.stringify({ token: child }) })
    await delivered
    const [min, max] = run.gapMs
    await new Promise((r) => setTimeout(r, min + Math.random() * (max - min)))
  }
  await new Promise((r) => setTimeout(r, run.tailMs ?? 0))
  running = false
  // one more revocation wakes the long-polls, so they finish
  await json(`${run.revokeUrl}/v1/revocations`, {
    method: 'POST',
    body: JSON.stringify({ token: attenuate(run.token, ['app = stop']) }),
  })
  await Promise.all(following)
  for (const r of run.readers) r.delays.sort((x, y) => x - y)
  return { retried }
}
