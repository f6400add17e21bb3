import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { SwarmError } from '../../src/util/errors.js';
import { MAX_INPUT, Mutator } from './mutate.js';

/**
 * Runs one fuzz target in a thread, so the main thread can stop it and name the input
 * if a call never returns. Before each call the input is copied into shared memory.
 */
export interface FuzzJob {
  module: string;
  exportName: string;
  text: boolean;
  structural: boolean;
  seeds: Uint8Array[];
  tokens: Uint8Array[];
  seconds: number;
  seed: number;
  /** [length:int32][input bytes] */
  current: SharedArrayBuffer;
}

export type FuzzReport =
  | { type: 'beat'; count: number }
  | { type: 'bad'; input: Uint8Array; error: string }
  | { type: 'done'; count: number; ms: number; outcomes: Record<string, number> };

// `node --test dist/test/` runs every .js file under test/ as a test file, this one too:
// outside a worker there is nothing to do.
if (parentPort && workerData) await main(workerData as FuzzJob, parentPort);

async function main(job: FuzzJob, port: MessagePort): Promise<void> {
  const mod = (await import(job.module)) as Record<string, (x: unknown) => unknown>;
  const target = mod[job.exportName]!;
  const lenView = new Int32Array(job.current, 0, 1);
  const bytesView = new Uint8Array(job.current, 4, MAX_INPUT);
  const mutator = new Mutator(
    job.seed,
    job.seeds.map((s) => Buffer.from(s)),
    job.structural,
    job.tokens.map((s) => Buffer.from(s)),
  );
  const outcomes: Record<string, number> = {};
  const start = performance.now();
  const deadline = start + job.seconds * 1000;
  let count = 0;
  let lastBeat = start;
  for (;;) {
    const input = count < job.seeds.length ? Buffer.from(job.seeds[count]!) : mutator.next();
    bytesView.set(input.subarray(0, MAX_INPUT));
    Atomics.store(lenView, 0, Math.min(input.length, MAX_INPUT));
    let outcome = 'ok';
    try {
      target(job.text ? input.toString('utf8') : input);
    } catch (err) {
      if (!(err instanceof SwarmError)) {
        port.postMessage({ type: 'bad', input, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies FuzzReport);
        process.exit(0);
      }
      outcome = `${err.name}:${err.code}`;
    }
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    count++;
    if ((count & 255) === 0) {
      const now = performance.now();
      if (now - lastBeat > 200) {
        lastBeat = now;
        port.postMessage({ type: 'beat', count } satisfies FuzzReport);
      }
      if (now > deadline) break;
    }
  }
  port.postMessage({ type: 'done', count, ms: performance.now() - start, outcomes } satisfies FuzzReport);
}
