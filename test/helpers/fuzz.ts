import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { FuzzJob, FuzzReport } from './fuzz-worker.js';

export interface FuzzOptions {
  /** URL of the module holding the function under test, and its export name. */
  module: string;
  exportName: string;
  seeds: Buffer[];
  /** Pass inputs as UTF-8 strings rather than bytes. */
  text?: boolean;
  /** Also mutate the bencode structure of the seeds. */
  structural?: boolean;
  /** Tokens to splice in (a dictionary, for text formats). */
  tokens?: string[];
}

/** A call that takes this long counts as a hang. */
const HANG_MS = 5000;

/**
 * Fuzzes `module[exportName]` for SWARM_FUZZ_SECONDS (default 2) in a worker thread. Every
 * input must return or throw a SwarmError; anything else, or a call that hangs, fails the
 * test with the input in hex. SWARM_FUZZ_SEED replays a run. Prints inputs/second and total.
 */
export async function fuzz(t: TestContext, name: string, opts: FuzzOptions): Promise<{ count: number; perSecond: number }> {
  const seconds = Number(process.env.SWARM_FUZZ_SECONDS ?? 2);
  const seed = Number(process.env.SWARM_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const current = new SharedArrayBuffer(4 + 64 * 1024);
  const job: FuzzJob = {
    module: opts.module,
    exportName: opts.exportName,
    text: opts.text ?? false,
    structural: opts.structural ?? false,
    seeds: opts.seeds.map((s) => new Uint8Array(s)),
    tokens: (opts.tokens ?? []).map((s) => new Uint8Array(Buffer.from(s))),
    seconds,
    seed,
    current,
  };
  const worker = new Worker(new URL('./fuzz-worker.js', import.meta.url), { workerData: job });
  const currentInput = (): string => {
    const len = new Int32Array(current, 0, 1)[0]!;
    return Buffer.from(new Uint8Array(current, 4, len)).toString('hex');
  };
  const result = await new Promise<FuzzReport>((resolve, reject) => {
    let last = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - last > HANG_MS) {
        clearInterval(watchdog);
        const input = currentInput();
        void worker.terminate();
        reject(new Error(`${name}: no progress for ${HANG_MS} ms (seed ${seed}); input hex: ${input}`));
      }
    }, 250);
    worker.on('message', (m: FuzzReport) => {
      last = Date.now();
      if (m.type === 'beat') return;
      clearInterval(watchdog);
      resolve(m);
    });
    worker.on('error', (err) => {
      clearInterval(watchdog);
      reject(err);
    });
    worker.on('exit', () => clearInterval(watchdog));
  });
  await worker.terminate();
  if (result.type === 'bad') {
    assert.fail(`${name}: an input threw something that is not a SwarmError (seed ${seed}):\n${result.error}\ninput hex: ${Buffer.from(result.input).toString('hex')}`);
  }
  assert.equal(result.type, 'done');
  if (result.type !== 'done') throw new Error('unreachable');
  const perSecond = Math.round(result.count / (result.ms / 1000));
  const top = Object.entries(result.outcomes)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const line = `fuzz ${name}: ${result.count} inputs in ${(result.ms / 1000).toFixed(1)} s = ${perSecond}/s (seed ${seed}); outcomes: ${top}`;
  t.diagnostic(line);
  console.log(line);
  assert.ok(result.count > opts.seeds.length, 'the fuzzer ran mutated inputs');
  return { count: result.count, perSecond };
}
