/**
 * Tiny benchmark harness: median nanoseconds per op over repeated batches, peers interleaved.
 * Time is this process's CPU time (user + system, all its threads, so GC helpers count), not
 * the wall clock: on a machine shared with other work, wall time also counts the moments the
 * process waited for a core, which swing with the neighbours' load, not with the code measured.
 */

export interface Case {
  readonly name: string
  readonly run: () => unknown | Promise<unknown>
  readonly async?: boolean
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

async function batch(c: Case, ops: number): Promise<number> {
  const start = process.cpuUsage()
  if (c.async) for (let i = 0; i < ops; i++) await c.run()
  else for (let i = 0; i < ops; i++) c.run()
  const used = process.cpuUsage(start)
  return ((used.user + used.system) * 1000) / ops
}

/**
 * Runs every case in round-robin batches (so drift and GC hit all peers alike) and returns the
 * median ns/op of each.
 */
export async function measure(
  cases: readonly Case[],
  opts: { batches?: number; ops?: number } = {},
): Promise<Map<string, number>> {
  const batches = opts.batches ?? 25
  const ops = opts.ops ?? 2000
  for (const c of cases) await batch(c, Math.ceil(ops / 4)) // warm-up
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]))
  for (let b = 0; b < batches; b++) {
    // Alternate the order so no case always runs right after another's garbage.
    const order = b % 2 === 0 ? cases : [...cases].reverse()
    for (const c of order) samples.get(c.name)!.push(await batch(c, ops))
  }
  return new Map([...samples].map(([k, v]) => [k, median(v)]))
}

/** Formats ns as µs with two decimals. */
export function us(ns: number): string {
  return `${(ns / 1000).toFixed(2)} µs`
}
