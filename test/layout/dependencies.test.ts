import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

// #16 item 4: dependencies point one way — server and dashboard → service → store port and token.

const root = resolve(import.meta.dirname, '../..')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specs: string[] = []
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]/g))
    specs.push(m[1] ?? '')
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) specs.push(m[1] ?? '')
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1] ?? '')
  return specs
}

/** The import as a repository path (for relative ones) or the package name. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec
  return relative(root, resolve(file, '..', spec))
}

function violations(folder: string, forbidden: (target: string) => boolean): string[] {
  const out: string[] = []
  for (const file of sourceFiles(join(root, folder))) {
    for (const spec of importsOf(file)) {
      const t = target(file, spec)
      if (forbidden(t)) out.push(`${relative(root, file)} imports ${spec}`)
    }
  }
  return out
}

const ENGINE_OR_HTTP = /^(express|better-sqlite3|pg|postgres|pino-http)(\/|$)/

describe('layout: dependencies point one way', () => {
  it('src/service imports no HTTP framework, no database driver, nothing of src/server or src/dashboard', () => {
    expect(
      violations(
        'src/service',
        (t) =>
          ENGINE_OR_HTTP.test(t) ||
          t.startsWith('src/server') ||
          t.startsWith('src/dashboard') ||
          t.startsWith('src/store/sqlite') ||
          t.startsWith('src/store/postgres'),
      ),
    ).toEqual([])
  })

  it('src/dashboard does not import src/server', () => {
    expect(violations('src/dashboard', (t) => t.startsWith('src/server'))).toEqual([])
  })

  it('the store port imports no engine', () => {
    const port = [
      'port.ts',
      'index.ts',
      'keys.ts',
      'users.ts',
      'audit.ts',
      'revocations.ts',
      'device-codes.ts',
      'time.ts',
    ]
    const bad = port.flatMap((f) =>
      importsOf(join(root, 'src/store', f))
        .map((s) => target(join(root, 'src/store', f), s))
        .filter(
          (t) =>
            ENGINE_OR_HTTP.test(t) || t.startsWith('src/store/sqlite') || t.startsWith('src/store/postgres'),
        )
        .map((t) => `src/store/${f} imports ${t}`),
    )
    expect(bad).toEqual([])
  })

  it('the scan sees imports (a check that cannot fail proves nothing)', () => {
    expect(importsOf(join(root, 'src/server/app.ts'))).toContain('express')
    expect(violations('src/server', (t) => t === 'express').length).toBeGreaterThan(0)
  })
})
