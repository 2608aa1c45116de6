import { newUserId } from '../../src/token/ids.js'
import { attenuate, generateKeyRing, type KeyRing, mintRootToken } from '../../src/token/index.js'

/** A ring, a root token minted under it, and a way to mint more. */
export interface Minted {
  readonly ring: KeyRing
  readonly token: string
  readonly tokenId: string
}

export const FAR_FUTURE = '2099-01-01T00:00:00Z'

/** A fresh ring with one root token (expires far in the future). */
export function mintFixture(ring: KeyRing = generateKeyRing()): Minted {
  const { token, tokenId } = mintRootToken({
    ring,
    userId: newUserId(),
    caveats: [`expires = ${FAR_FUTURE}`],
  })
  return { ring, token, tokenId }
}

export { attenuate }

/** Waits until `check` returns true (polling), or fails after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  stepMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, stepMs))
  }
}

/** A logger that keeps what it is told (so tests can assert nothing secret was logged). */
export function memoryLogger(): {
  lines: string[]
  warn: (m: string, f?: unknown) => void
  error: (m: string, f?: unknown) => void
} {
  const lines: string[] = []
  const log = (m: string, f?: unknown): void => {
    lines.push(`${m} ${JSON.stringify(f ?? {})}`)
  }
  return { lines, warn: log, error: log }
}
