/**
 * Optional peers of the generic decode + verify row: libmacaroons (C) and go-macaroon, through the
 * small drivers in bench/peers/ (crumb's own code), built into a temporary directory when the
 * Debian packages are installed (libmacaroons-dev; golang-go and golang-gopkg-macaroon.v2-dev).
 * Each driver decodes and verifies one macaroon in a loop and prints, per batch, its process CPU
 * time per op in ns (what bench/harness.ts measures for crumb).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

// The drivers' sources: next to this file, or (built into dist/bench) in the repository's bench/.
const HERE = [resolve(import.meta.dirname, 'peers'), resolve(import.meta.dirname, '../../bench/peers')].find(
  (dir) => existsSync(join(dir, 'libmacaroons.c')),
) as string
const GOPATH = '/usr/share/gocode'

/** A built driver, or why there is none. */
export type Peer =
  | { readonly name: string; readonly binary: string }
  | { readonly name: string; readonly skipped: string }

function tryBuild(name: string, build: (out: string) => void, missing: string | undefined): Peer {
  if (missing !== undefined) return { name, skipped: missing }
  const out = join(mkdtempSync(join(tmpdir(), 'crumb-bench-')), name)
  try {
    build(out)
    return { name, binary: out }
  } catch (e) {
    return { name, skipped: `build failed: ${(e as Error).message.split('\n')[0]}` }
  }
}

/** Builds the drivers that can be built here. */
export function buildPeers(): Peer[] {
  const quiet = { stdio: ['ignore', 'ignore', 'pipe'] as ['ignore', 'ignore', 'pipe'] }
  return [
    tryBuild(
      'libmacaroons (C)',
      (out) => execFileSync('cc', ['-O2', '-o', out, join(HERE, 'libmacaroons.c'), '-lmacaroons'], quiet),
      existsSync('/usr/include/macaroons.h') ? undefined : 'libmacaroons-dev is not installed',
    ),
    tryBuild(
      'go-macaroon',
      (out) =>
        execFileSync('go', ['build', '-o', out, '.'], {
          ...quiet,
          cwd: join(HERE, 'go-macaroon'),
          env: {
            ...process.env,
            GO111MODULE: 'off',
            GOPATH,
            GOCACHE: join(tmpdir(), 'crumb-bench-gocache'),
          },
        }),
      existsSync(join(GOPATH, 'src/gopkg.in/macaroon.v2'))
        ? undefined
        : 'golang-go and golang-gopkg-macaroon.v2-dev are not installed',
    ),
  ]
}

/** Runs a driver: `batches` batches of `iterations` decode + verify; CPU ns/op of each. */
export function runPeer(
  binary: string,
  token: string,
  rootKey: string,
  caveats: readonly string[],
  iterations: number,
  batches: number,
): number[] {
  const out = execFileSync(binary, [token, rootKey, String(iterations), String(batches), ...caveats], {
    encoding: 'utf8',
  })
  return out
    .trim()
    .split('\n')
    .map((line) => Number(line))
}
