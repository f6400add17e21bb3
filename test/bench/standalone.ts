import { pathToFileURL } from 'node:url';
import type { BenchResult } from './report.js';

/**
 * True when the module at `moduleUrl` is the script node was started with (`node
 * dist/test/bench/create.js`), not when the test runner loads it: it runs every .js file
 * under test/ and sets NODE_TEST_CONTEXT in those processes.
 */
export function isMain(moduleUrl: string): boolean {
  return !!process.argv[1] && moduleUrl === pathToFileURL(process.argv[1]).href && !process.env.NODE_TEST_CONTEXT;
}

/** Payload size of a part run on its own: SWARM_BENCH_MIB, default 1 GiB. */
export function envMiB(): number {
  return Number(process.env.SWARM_BENCH_MIB ?? 1024);
}

/** One aligned line per result. */
export function printResults(rs: BenchResult[]): void {
  for (const r of rs) console.log(`${r.name.padEnd(40)} ${String(r.value).padStart(8)} ${r.unit.padEnd(3)} ${r.note ?? ''}`);
}
