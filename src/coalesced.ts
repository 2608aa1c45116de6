/**
 * `run` shared by concurrent callers, without ever answering a caller with a run that started
 * before it: a call made while no run is going starts one; calls made during a run all wait for the
 * one run queued behind it, which starts when the current one ends. So whatever a caller did before
 * calling (a commit, say) is seen by the run it gets, a burst of calls costs at most two runs, and a
 * steady stream of calls cannot keep an earlier caller waiting.
 *
 * @example
 * const sync = coalesced(() => store.revocations.read(cursor))
 * await Promise.all([sync(), sync(), sync()]) // one read, or two if one was already going
 */
export function coalesced<T>(run: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined
  let queued: Promise<T> | undefined
  const start = (): Promise<T> => {
    const current = run().finally(() => {
      if (running === current) running = undefined
    })
    running = current
    return current
  }
  return () => {
    const current = running
    if (current === undefined) return start()
    // the running one may have started before what this caller needs to see
    queued ??= current
      .catch(() => undefined)
      .then(() => {
        queued = undefined
        // a run started in between began after every caller queued here: share it
        return running ?? start()
      })
    return queued
  }
}
