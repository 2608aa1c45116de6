// A second process on the same SQLite file, for `sqlite.two-process.test.ts` (#16 item 3).
// Usage: node --import tsx two-process-worker.ts <db> <scenario> <json args>; prints a JSON array of outcomes.
import { loadConfig } from '../../src/server/config.js'
import { createLogger } from '../../src/server/logger.js'
import { actorFor, createKey, createService, mintKey, revokeKey } from '../../src/service/index.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { generateKeyRing } from '../../src/token/index.js'

const [path, scenario, argsText] = process.argv.slice(2)
if (path === undefined || scenario === undefined || argsText === undefined) throw new Error('usage')
const args = JSON.parse(argsText) as {
  userId: string
  keyIds?: string[]
  n?: number
  limit?: number
  at: number
}
const store = openSqliteStore(path)
const svc = createService({
  store,
  ring: generateKeyRing(),
  config: { ...loadConfig({}), keyCreateLimit: args.limit ?? 10 },
  logger: createLogger({ level: 'silent' }),
})
const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => (e as { code?: string }).code ?? String(e),
  )
// both processes start their burst at the same wall-clock instant
await new Promise((resolve) => setTimeout(resolve, Math.max(0, args.at - Date.now())))
const user = await store.users.get(args.userId)
if (user === undefined) throw new Error('no such user')
const who = actorFor(user, { ip: null, userAgent: `worker ${process.pid}` })
const n = args.n ?? 1
let results: string[] = []
if (scenario === 'revoke') {
  const keys = await Promise.all((args.keyIds ?? []).map((id) => store.keys.get(id)))
  results = await Promise.all(
    keys.map((key) =>
      key === undefined
        ? Promise.resolve('missing')
        : outcome(revokeKey(svc, { key, who, event: 'revoked', reason: 'user', protectLast: true })),
    ),
  )
} else if (scenario === 'login') {
  results = await Promise.all(
    Array.from({ length: n }, () =>
      outcome(
        mintKey(svc, {
          user,
          name: 'CLI login on box',
          source: 'cli-login',
          ttlMs: 86_400_000,
          replaceSameName: true,
          who,
        }),
      ),
    ),
  )
} else if (scenario === 'create') {
  const root = await mintKey(svc, {
    user,
    name: `root ${process.pid}`,
    source: 'register',
    ttlMs: 86_400_000,
    who,
  })
  const caller = { claims: {} as never, key: root.key, user, isRoot: true }
  results = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      outcome(createKey(svc, caller, { name: `k${process.pid}-${i}`, caveats: [], ttlMs: 86_400_000 }, who)),
    ),
  )
}
await svc.usage.stop()
svc.feed.close()
await store.close()
process.stdout.write(JSON.stringify(results))
