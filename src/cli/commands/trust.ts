import { type Command, InvalidArgumentError, Option } from 'commander'
import * as z from 'zod'
import { keyNameSchema } from '../../api-fields.js'
import { addCaveatOptions, type CaveatFlags, caveatsFromFlags } from '../caveat-flags.js'
import { loadContext } from '../context.js'
import { CliError, UsageError } from '../errors.js'
import { flagParser } from '../flag-parser.js'
import { note, printJson, printLine, relativeTime, renderTable } from '../output.js'

/**
 * `crumb trust create|ls|rm` (DESIGN.md, "Workload identity"): the trust policies under which CI
 * jobs exchange their OIDC ID token for a short-lived crumb token (`crumb exchange`). Creating one
 * needs an unrestricted key; removing one revokes its workload key, ending the tokens it minted.
 */

/** A trust policy as `/v1/trust-policies` shows it. */
export const trustPolicySchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  issuer: z.string(),
  audience: z.string(),
  conditions: z.record(z.string(), z.string()),
  caveats: z.array(z.string()),
  ttl: z.string(),
  key_id: z.string().nullable().optional(),
  created_at: z.string().nullable().optional(),
  last_exchanged_at: z.string().nullable().optional(),
})
/** A trust policy. */
export type TrustPolicy = z.infer<typeof trustPolicySchema>

const policyAnswerSchema = z.looseObject({ policy: trustPolicySchema })
const policiesAnswerSchema = z.looseObject({ policies: z.array(trustPolicySchema) })

function parseAnswer<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body)
  if (parsed.success) return parsed.data
  throw new CliError('bad_response', `unexpected answer from ${what}`, {
    hint: 'is --server pointing at a crumb token service of the same version?',
  })
}

/** `--claim k=v`, repeatable: a claim name and its pattern (exact, or `*` within the claim). */
function claimParser(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const at = value.indexOf('=')
  const claim = at < 0 ? '' : value.slice(0, at).trim()
  const pattern = at < 0 ? '' : value.slice(at + 1).trim()
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(claim) || pattern === '') {
    throw new InvalidArgumentError('expected claim=pattern, e.g. repository=acme/web or ref=refs/heads/*.')
  }
  return { ...previous, [claim]: pattern }
}

interface CreateFlags extends CaveatFlags {
  name: string
  issuer: string
  audience: string
  claim?: Record<string, string> | undefined
  ttl?: string | undefined
}

function conditionsText(conditions: Readonly<Record<string, string>>): string {
  return Object.entries(conditions)
    .map(([claim, pattern]) => `${claim}=${pattern}`)
    .join(' ')
}

/**
 * The table `trust ls` prints.
 *
 * @example
 * printLine(policiesTable(policies, new Date()))
 */
export function policiesTable(policies: readonly TrustPolicy[], now: Date): string {
  return renderTable(
    ['id', 'name', 'issuer', 'conditions', 'caveats', 'ttl', 'last exchange'],
    policies.map((p) => [
      p.id,
      p.name,
      p.issuer,
      conditionsText(p.conditions),
      p.caveats.join('; '),
      p.ttl,
      p.last_exchanged_at ? relativeTime(p.last_exchanged_at, now) : 'never',
    ]),
  )
}

/**
 * Registers `crumb trust` and its subcommands.
 *
 * @example
 * registerTrust(program)
 */
export function registerTrust(program: Command): void {
  const trust = program
    .command('trust')
    .description('trust policies: which CI jobs may exchange their OIDC ID token (crumb exchange)')

  const create = trust
    .command('create')
    .description('trust a CI issuer’s jobs that meet every --claim, for tokens with these caveats')
    .requiredOption(
      '--name <name>',
      'what the policy is for, e.g. "deploy web from main"',
      flagParser(keyNameSchema),
    )
    .requiredOption('--issuer <url>', 'the OIDC issuer, e.g. https://token.actions.githubusercontent.com')
    .requiredOption('--audience <aud>', 'the aud the ID tokens must carry, e.g. your crumb URL')
    .addOption(
      new Option(
        '--claim <claim=pattern>',
        'a condition on a claim (repeatable; * within one claim)',
      ).argParser(claimParser),
    )
    .option('--ttl <duration>', 'lifetime of exchanged tokens (default 15m, at most 1h)')
  addCaveatOptions(create, 'an expiry instant of the policy’s tokens (their lifetime is --ttl)')
    .addHelpText(
      'after',
      `
Example (GitHub Actions, deploys of acme/web from main):
  crumb trust create --name "deploy web" --issuer https://token.actions.githubusercontent.com \\
    --audience https://crumb.example --claim repository=acme/web --claim ref=refs/heads/main \\
    --org acme --app web --ops deploy --ttl 15m`,
    )
    .action(async (flags: CreateFlags, command: Command) => {
      if (flags.claim === undefined) {
        throw new UsageError('at least one --claim is needed, e.g. --claim repository=acme/web')
      }
      const ctx = await loadContext(command)
      const caveats = caveatsFromFlags(flags, { now: new Date() })
      const api = await ctx.api({ requireToken: true })
      const { body } = await api.http.request('POST', '/v1/trust-policies', {
        body: {
          name: flags.name,
          issuer: flags.issuer,
          audience: flags.audience,
          conditions: flags.claim,
          caveats,
          ...(flags.ttl === undefined ? {} : { ttl: flags.ttl }),
        },
      })
      const { policy } = parseAnswer(policyAnswerSchema, body, 'POST /v1/trust-policies')
      if (ctx.json) {
        printJson({ policy })
        return
      }
      printLine(`✓ Created trust policy ${policy.id} "${policy.name}"`)
      note(`  ${policy.issuer} jobs with ${conditionsText(policy.conditions)} (aud ${policy.audience})`)
      note(`  get tokens for ${policy.ttl} with: ${policy.caveats.join('; ') || 'no caveats'}`)
      note(`  in the job: crumb exchange --policy ${policy.id} --audience ${policy.audience}`)
    })

  trust
    .command('ls')
    .alias('list')
    .description('list the trust policies')
    .action(async (_flags: unknown, command: Command) => {
      const ctx = await loadContext(command)
      const api = await ctx.api({ requireToken: true })
      const { body } = await api.http.request('GET', '/v1/trust-policies')
      const { policies } = parseAnswer(policiesAnswerSchema, body, 'GET /v1/trust-policies')
      if (ctx.json) {
        printJson({ policies })
        return
      }
      printLine(policies.length === 0 ? 'No trust policies.' : policiesTable(policies, new Date()))
    })

  trust
    .command('rm')
    .alias('delete')
    .description('delete a trust policy and revoke its key (its live tokens stop working)')
    .argument('<id>', 'the policy id (see `crumb trust ls`)')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const ctx = await loadContext(command)
      const api = await ctx.api({ requireToken: true })
      const { body } = await api.http.request('DELETE', `/v1/trust-policies/${encodeURIComponent(id)}`)
      const { policy } = parseAnswer(policyAnswerSchema, body, 'DELETE /v1/trust-policies/:id')
      if (ctx.json) {
        printJson({ policy })
        return
      }
      printLine(`✓ Deleted trust policy ${policy.id} "${policy.name}"; its tokens are revoked`)
    })
}
