#!/usr/bin/env node
/**
 * The `crumb` executable (package.json `bin`). Nothing is imported statically but `node:module`,
 * so the compile cache (Node 22.1+; absent on Node 20) covers everything the command loads.
 */
import * as nodeModule from 'node:module'

const enableCompileCache: unknown = Reflect.get(nodeModule, 'enableCompileCache')
if (typeof enableCompileCache === 'function') enableCompileCache()

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // `crumb tokens ls | head`: the reader went away; that is not a failure of ours.
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw error
})

const { run } = await import('./run.js')
process.exitCode = await run(process.argv)
