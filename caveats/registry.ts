import type { BuiltinCaveatValues } from './builtins.js'
import { builtinCaveatKinds } from './builtins.js'
import { CaveatParseError } from './errors.js'
import { MAX_CAVEAT_LENGTH, splitCaveat } from './grammar.js'
import type { CaveatKind, ParsedCaveat } from './types.js'

export { effectiveScope } from './scope.js'

export { MAX_CAVEAT_LENGTH }

/** Options for a new registry. */
export interface CaveatRegistryOptions {
  /** Most parsed caveats memoised; the oldest entry is evicted when full. Default 10,000. */
  cacheSize?: number
}

/**
 * The caveat kinds a verifier understands, and a memo of parsed caveat texts (verification
 * parses the same texts on every request). Unknown names and malformed values are refused.
 *
 * @example
 * const registry = createDefaultRegistry().extend(myKind)
 * const parsed = registry.parseCaveat('ops = read,write') // { kind: ops, value: ['read', 'write'], text }
 */
export class CaveatRegistry {
  readonly #kinds = new Map<string, CaveatKind<unknown>>()
  // A bounded Map, not lru-cache: this module is on the CLI's start-up path; with lru-cache loaded
  // here `crumb inspect` / `crumb attenuate` started 7–9% slower than before (#16 item 6).
  readonly #cache = new Map<string, ParsedCaveat>()
  readonly #cacheSize: number
  #sealed = false

  /**
   * @example
   * const registry = new CaveatRegistry([org, ops], { cacheSize: 1000 })
   */
  constructor(kinds: Iterable<CaveatKind<unknown>> = [], options: CaveatRegistryOptions = {}) {
    this.#cacheSize = Math.max(0, options.cacheSize ?? 10_000)
    for (const kind of kinds) this.register(kind)
  }

  /**
   * Adds a kind; throws if its name is taken or the registry is sealed.
   *
   * @example
   * registry.register(region) // a service's own `region = eu,us` kind
   */
  register<T>(kind: CaveatKind<T>): this {
    if (this.#sealed) throw new Error(`caveat registry is sealed; extend it to add ${kind.name}`)
    if (this.#kinds.has(kind.name)) throw new Error(`caveat kind ${kind.name} is already registered`)
    this.#kinds.set(kind.name, kind)
    return this
  }

  /**
   * Forbids further `register` calls (shared registries are sealed).
   *
   * @example
   * const shared = createDefaultRegistry().seal()
   */
  seal(): this {
    this.#sealed = true
    return this
  }

  /**
   * A new, unsealed registry with this one's kinds and some more.
   *
   * @example
   * const registry = defaultRegistry().extend(region, tenant)
   */
  extend(...kinds: CaveatKind<unknown>[]): CaveatRegistry {
    return new CaveatRegistry([...this.#kinds.values(), ...kinds], { cacheSize: this.#cacheSize })
  }

  /**
   * The kind registered under a name.
   *
   * @example
   * registry.get('ops')?.dimension // 'op'
   */
  get(name: string): CaveatKind<unknown> | undefined {
    return this.#kinds.get(name)
  }

  /**
   * Registered kinds, in registration order.
   *
   * @example
   * registry.kinds().map((kind) => kind.name)
   */
  kinds(): CaveatKind<unknown>[] {
    return [...this.#kinds.values()]
  }

  /**
   * Parses `name = value`. Throws `CaveatParseError` on bad syntax, an unknown name or a
   * malformed value. Results are memoised by text and frozen; a hit returns the same object.
   *
   * @example
   * registry.parseCaveat('expires = 2026-12-01T00:00:00Z').value // 1796083200000
   */
  parseCaveat(text: string): ParsedCaveat {
    const hit = this.#cache.get(text)
    if (hit !== undefined) return hit
    const parsed = this.#parse(text)
    if (this.#cacheSize > 0) {
      if (this.#cache.size >= this.#cacheSize) {
        const oldest = this.#cache.keys().next()
        if (oldest.done !== true) this.#cache.delete(oldest.value)
      }
      this.#cache.set(text, parsed)
    }
    return parsed
  }

  #parse(text: string): ParsedCaveat {
    const caveat = splitCaveat(text)
    if (caveat === undefined) throw new CaveatParseError('syntax', text)
    const kind = this.#kinds.get(caveat.name)
    if (kind === undefined) throw new CaveatParseError('unknown_kind', text)
    let value: unknown
    try {
      value = kind.parse(caveat.value)
    } catch (error) {
      throw new CaveatParseError('malformed_value', text, error)
    }
    return Object.freeze({ kind, value, text })
  }

  /**
   * Canonical caveat text `name = value` for a value of the named kind; throws for an unknown name.
   *
   * @example
   * registry.formatCaveat('ops', ['read', 'write']) // 'ops = read,write'
   */
  formatCaveat<K extends keyof BuiltinCaveatValues>(kindName: K, value: BuiltinCaveatValues[K]): string
  formatCaveat(kindName: string, value: unknown): string
  formatCaveat(kindName: string, value: unknown): string {
    const kind = this.#kinds.get(kindName)
    if (kind === undefined) throw new Error(`unknown caveat kind ${JSON.stringify(kindName)}`)
    return `${kind.name} = ${kind.format(value)}`
  }
}

/**
 * A new, unsealed registry holding the eight built-in kinds (and any given extra ones).
 *
 * @example
 * const registry = createDefaultRegistry([region])
 */
export function createDefaultRegistry(
  extra: Iterable<CaveatKind<unknown>> = [],
  options: CaveatRegistryOptions = {},
): CaveatRegistry {
  return new CaveatRegistry([...builtinCaveatKinds, ...extra], options)
}

let shared: CaveatRegistry | undefined

/**
 * The process-wide registry of built-in kinds, sealed; its memo is shared by every verifier
 * that uses it. Services with their own kinds use `defaultRegistry().extend(...)`.
 *
 * @example
 * defaultRegistry().parseCaveat('org = acme')
 */
export function defaultRegistry(): CaveatRegistry {
  shared ??= createDefaultRegistry().seal()
  return shared
}
