// the run shared by concurrent callers (feed syncs, PostgreSQL feed numbering): a caller is never
// answered by a run that started before it, a burst costs at most two runs, and a steady stream of
// callers cannot starve an early one
import { describe, expect, it } from 'vitest'
import { coalesced } from '../src/coalesced.js'

function controlledRuns() {
  const started: { release: (v: number) => void; fail: (e: Error) => void }[] = []
  const run = () =>
    new Promise<number>((release, fail) => {
      started.push({ release, fail })
    })
  return { started, run }
}
const tick = () => new Promise((r) => setTimeout(r, 0))

describe('coalesced', () => {
  it('a call during a run waits for the next run, shared by every call made meanwhile', async () => {
    const { started, run } = controlledRuns()
    const call = coalesced(run)
    const first = call()
    const during = [call(), call(), call()]
    expect(started).toHaveLength(1)
    started[0]!.release(1)
    expect(await first).toBe(1)
    await tick()
    expect(started).toHaveLength(2)
    started[1]!.release(2)
    expect(await Promise.all(during)).toEqual([2, 2, 2])
  })

  it('a steady stream of calls never keeps an earlier caller past the run queued for it', async () => {
    const { started, run } = controlledRuns()
    const call = coalesced(run)
    void call()
    const early = call()
    let earlyDone = false
    void early.then(() => {
      earlyDone = true
    })
    for (let i = 0; i < 5; i++) {
      started.at(-1)!.release(i)
      await tick()
      void call() // arrives during every run
    }
    expect(earlyDone).toBe(true)
    expect(await early).toBe(1)
  })

  it('a failed run fails its callers, and the next call starts a fresh run', async () => {
    const { started, run } = controlledRuns()
    const call = coalesced(run)
    const failing = call()
    started[0]!.fail(new Error('database down'))
    await expect(failing).rejects.toThrow('database down')
    const next = call()
    expect(started).toHaveLength(2)
    started[1]!.release(7)
    expect(await next).toBe(7)
  })
})
