import type { Command } from 'commander'
import { keyNameSchema } from '../../api-fields.js'
import { loadContext } from '../context.js'
import { flagParser } from '../flag-parser.js'
import { printJson, printLine } from '../output.js'
import { resolveKey } from '../resolve-key.js'

/** `crumb tokens rename ID|NAME NEW`. */

/**
 * Registers `crumb tokens rename`.
 *
 * @example
 * registerTokensRename(tokens)
 */
export function registerTokensRename(tokens: Command): void {
  tokens
    .command('rename')
    .description('rename a key')
    .argument('<key>', 'key id (tok_…) or the exact name of an active key')
    .argument('<new-name>', 'the new name', flagParser(keyNameSchema))
    .action(async (ref: string, newName: string, _flags: unknown, command: Command) => {
      const ctx = await loadContext(command)
      const api = await ctx.api({ requireToken: true })
      const { id, key: before } = await resolveKey(api, ref)
      const key = await api.renameKey(id, newName)
      if (ctx.json) printJson({ key })
      else
        printLine(
          `✓ Renamed ${id}${before === undefined ? '' : ` ${JSON.stringify(before.name)}`} to ${JSON.stringify(key.name)}`,
        )
    })
}
