import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import * as z from 'zod'
import { KID } from '../../token/ids.js'
import type { KeyRing } from '../../token/keyring.js'
import { loadContext } from '../context.js'
import { CliError } from '../errors.js'
import { flagParser } from '../flag-parser.js'
import { note, printJson, printLine, renderTable } from '../output.js'

/**
 * `crumb keyring ls | rotate | retire KID`: the token service's signing keys, in its key ring file.
 * These run on the service's machine and edit the file directly (no server call, no login); the
 * running service and local-mode verifiers watching the file follow at once (2 s at most).
 * Secrets are never printed.
 */

interface KeyringFlags {
  keyring?: string
  dataDir?: string
}

/** The file `crumb serve` uses: --keyring, CRUMB_KEYRING, else keyring.json in the data directory. */
function ringPath(flags: KeyringFlags): string {
  const path =
    flags.keyring ??
    nonEmpty(process.env.CRUMB_KEYRING) ??
    join(flags.dataDir ?? nonEmpty(process.env.CRUMB_DATA_DIR) ?? './data', 'keyring.json')
  // A verifier's CRUMB_KEYRING may hold the ring's JSON itself: never echo it (it is all secrets).
  if (path.trimStart().startsWith('{')) {
    throw new CliError('config_invalid', 'the key ring given is JSON, not the path of a file', {
      hint: 'pass --keyring PATH (the file the token service uses)',
    })
  }
  if (!existsSync(path)) {
    throw new CliError('not_found', `no key ring at ${path}`, {
      hint: 'the token service creates it on first start (`crumb serve`); or pass --keyring PATH',
    })
  }
  const mode = statSync(path).mode & 0o777
  if ((mode & 0o077) !== 0) {
    note(`warning: ${path} has mode ${mode.toString(8)}; it holds secrets and should be 0600 (chmod 600)`)
  }
  return path
}

const kidSchema = z.string().regex(KID, 'a key id is 1–32 letters, digits, _ or - (see `crumb keyring ls`)')

const nonEmpty = (value: string | undefined): string | undefined => (value === '' ? undefined : value)

/** What may be shown of a ring: kids, dates and states, never a secret. */
function describeRing(
  ring: KeyRing,
): { kid: string; primary: boolean; created_at: string; retired_at: string | null }[] {
  return [...ring.keys.values()].map((k) => ({
    kid: k.kid,
    primary: k.kid === ring.primary,
    created_at: k.createdAt,
    retired_at: k.retiredAt ?? null,
  }))
}

function stateOf(key: { primary: boolean; retired_at: string | null }): string {
  if (key.primary) return 'primary'
  return key.retired_at === null ? 'verifies' : 'retired'
}

function printRing(ring: KeyRing, json: boolean, path: string): void {
  const keys = describeRing(ring)
  if (json) {
    printJson({ path, primary: ring.primary, keys })
    return
  }
  printLine(
    renderTable(
      ['kid', 'state', 'created', 'retired'],
      keys.map((k) => [k.kid, stateOf(k), k.created_at, k.retired_at ?? '']),
    ),
  )
}

/** What every subcommand starts from: `--json`, and the file it works on. */
async function target(command: Command): Promise<{ json: boolean; path: string }> {
  const ctx = await loadContext(command)
  return { json: ctx.json, path: ringPath(command.parent?.opts<KeyringFlags>() ?? {}) }
}

const FOLLOWS =
  'The running token service and verifiers reading this file follow at once (within 2 s where the file system sends no change events); verifiers given the ring another way need the new file.'

/**
 * Registers `crumb keyring` and its subcommands.
 *
 * @example
 * registerKeyring(program)
 */
export function registerKeyring(program: Command): void {
  const keyring = program
    .command('keyring')
    .description("the token service's signing keys (run where the service runs; edits its key ring file)")
    .option(
      '--keyring <path>',
      'key ring file (default: CRUMB_KEYRING, else keyring.json in the data directory)',
    )
    .option(
      '--data-dir <dir>',
      'data directory whose keyring.json to use (default: CRUMB_DATA_DIR or ./data)',
    )

  keyring
    .command('ls')
    .description('list the signing keys: which is primary, which still verify, which are retired')
    .action(async (_flags: unknown, command: Command) => {
      const { json, path } = await target(command)
      const { readKeyRing } = await import('../../token/keyring-source.js')
      printRing(readKeyRing(path), json, path)
    })

  keyring
    .command('rotate')
    .description('add a new primary key; tokens signed with the older keys keep verifying until retired')
    .action(async (_flags: unknown, command: Command) => {
      const { json, path } = await target(command)
      const { rotateKeyRingFile } = await import('../../server/keyring-file.js')
      const ring = rotateKeyRingFile(path)
      if (json) {
        printRing(ring, true, path)
        return
      }
      printLine(`✓ New primary key ${ring.primary}: new tokens are signed with it.`)
      note(`  ${FOLLOWS}`)
    })

  keyring
    .command('retire')
    .description(
      'retire a key: every token signed with it stops verifying (rotate first if it is the primary)',
    )
    .argument('<kid>', 'the key id, as `crumb keyring ls` shows it', flagParser(kidSchema))
    .action(async (kid: string, _flags: unknown, command: Command) => {
      const { json, path } = await target(command)
      const { retireKeyInFile } = await import('../../server/keyring-file.js')
      const { readKeyRing } = await import('../../token/keyring-source.js')
      const before = readKeyRing(path)
      if (kid === before.primary) {
        throw new CliError('validation_failed', `${kid} is the primary key`, {
          hint: 'run `crumb keyring rotate` first, then retire it',
        })
      }
      if (before.keys.get(kid)?.retiredAt !== undefined) {
        if (json) printRing(before, true, path)
        else printLine(`${kid} is already retired.`)
        return
      }
      const ring = retireKeyInFile(path, kid)
      if (json) {
        printRing(ring, true, path)
        return
      }
      printLine(`✓ Retired ${kid}: tokens signed with it no longer verify.`)
      note(`  ${FOLLOWS}`)
    })
}
