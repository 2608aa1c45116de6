import { describe, expect, it } from 'vitest'
import { UsageReporter } from '../../src/verifier/index.js'

interface Sent {
  reports: { token_id: string; at: string; ip: string | null; user_agent: string | null }[]
}

function fakeFetch(statuses: number[] = []) {
  const sent: Sent[] = []
  const fetch = async (_url: string | URL, init?: RequestInit): Promise<Response> => {
    const status = statuses.shift() ?? 202
    if (status === 0) throw new TypeError('fetch failed')
    sent.push(JSON.parse(String(init?.body)) as Sent)
    return new Response(null, { status })
  }
  return { sent, fetch }
}

describe('UsageReporter', () => {
  it('coalesces uses per token id, keeping the latest', async () => {
    const { sent, fetch } = fakeFetch()
    const usage = new UsageReporter({
      url: 'http://x/v1/usage',
      serviceToken: 's',
      fetch,
      intervalMs: 60_000,
    })
    usage.record('tok_a', '10.0.0.1', 'ua/1', 1_000)
    usage.record('tok_a', '10.0.0.2', 'ua/2', 3_000)
    usage.record('tok_a', '10.0.0.3', 'ua/3', 2_000)
    usage.record('tok_b', undefined, undefined, 1_000)
    expect(usage.pending).toBe(2)
    await usage.flush()
    expect(sent).toHaveLength(1)
    expect(sent[0]?.reports).toEqual([
      { token_id: 'tok_a', at: new Date(3_000).toISOString(), ip: '10.0.0.2', user_agent: 'ua/2' },
      { token_id: 'tok_b', at: new Date(1_000).toISOString(), ip: null, user_agent: null },
    ])
    await usage.close()
  })

  it('tells whether a use within resolutionMs is already pending', async () => {
    const { fetch } = fakeFetch()
    const usage = new UsageReporter({
      url: 'http://x',
      serviceToken: 's',
      fetch,
      intervalMs: 60_000,
      resolutionMs: 1_000,
    })
    expect(usage.isRecent('tok_a', 5_000)).toBe(false) // nothing pending
    usage.record('tok_a', '10.0.0.1', 'ua', 5_000)
    expect(usage.isRecent('tok_a', 5_000)).toBe(true)
    expect(usage.isRecent('tok_a', 5_999)).toBe(true)
    expect(usage.isRecent('tok_a', 6_000)).toBe(false) // the window is over
    expect(usage.isRecent('tok_a', 4_000)).toBe(false) // a clock that went back is not "recent"
    expect(usage.isRecent('tok_b', 5_000)).toBe(false)
    await usage.flush()
    expect(usage.isRecent('tok_a', 5_500)).toBe(false) // sent: the next use is recorded again
    const every = new UsageReporter({ url: 'http://x', serviceToken: 's', fetch, intervalMs: 60_000 })
    every.record('tok_a', undefined, undefined, 5_000)
    expect(every.isRecent('tok_a', 5_000)).toBe(false) // default resolution 0: every use counts
    await Promise.all([usage.close(), every.close()])
  })

  it('bounds memory, dropping the oldest token ids', async () => {
    const { fetch } = fakeFetch()
    const usage = new UsageReporter({
      url: 'http://x',
      serviceToken: 's',
      fetch,
      maxPending: 3,
      intervalMs: 60_000,
    })
    for (let i = 0; i < 10; i++) usage.record(`tok_${i}`, undefined, undefined)
    expect(usage.pending).toBe(3)
    expect(usage.dropped).toBe(7)
    await usage.close()
  })

  it('merges a failed batch back (newer uses win) and retries it', async () => {
    const { sent, fetch } = fakeFetch([0, 503])
    const usage = new UsageReporter({ url: 'http://x', serviceToken: 's', fetch, intervalMs: 60_000 })
    usage.record('tok_a', '1.1.1.1', 'old', 1_000)
    await usage.flush()
    expect(usage.pending).toBe(1)
    usage.record('tok_a', '2.2.2.2', 'new', 2_000)
    await usage.flush()
    await usage.flush()
    expect(usage.pending).toBe(0)
    expect(sent.at(-1)?.reports).toEqual([
      { token_id: 'tok_a', at: new Date(2_000).toISOString(), ip: '2.2.2.2', user_agent: 'new' },
    ])
  })

  it('sends in batches and flushes everything on close', async () => {
    const { sent, fetch } = fakeFetch()
    const usage = new UsageReporter({
      url: 'http://x',
      serviceToken: 's',
      fetch,
      batchSize: 4,
      intervalMs: 60_000,
    })
    for (let i = 0; i < 10; i++) usage.record(`tok_${i}`, undefined, 'ua')
    await usage.close()
    expect(sent.map((s) => s.reports.length)).toEqual([4, 4, 2])
    usage.record('tok_late', undefined, undefined)
    expect(usage.pending).toBe(0)
  })

  it('never waits on the network when recording', () => {
    const fetch = (): Promise<Response> => new Promise(() => {})
    const usage = new UsageReporter({ url: 'http://x', serviceToken: 's', fetch, intervalMs: 60_000 })
    const started = performance.now()
    for (let i = 0; i < 10_000; i++) usage.record(`tok_${i % 100}`, '127.0.0.1', 'ua')
    void usage.flush()
    for (let i = 0; i < 10_000; i++) usage.record(`tok_${i % 100}`, '127.0.0.1', 'ua')
    expect(performance.now() - started).toBeLessThan(500)
  })
})
