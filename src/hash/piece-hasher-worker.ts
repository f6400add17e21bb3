import { parentPort, workerData } from 'node:worker_threads';
import { HashFailure, RunHasher, type CoreSource } from './piece-hasher-core.js';

/** One hashing thread: takes runs of pieces from the main thread, one at a time. */

export interface WorkerInit {
  sources: CoreSource[];
  pieceLength: number;
  bufferBytes: number;
  /** Int32Array over a SharedArrayBuffer; non-zero means stop. */
  stop: SharedArrayBuffer;
}

export type ToWorker = { type: 'job'; id: number; first: number; count: number } | { type: 'exit' };

export type FromWorker =
  | { type: 'progress'; bytes: number }
  | { type: 'done'; id: number; hashes: ArrayBuffer; missing: number[]; aborted: boolean }
  | { type: 'error'; message: string; path: string; code: string | undefined };

const port = parentPort;
if (port) {
  const init = workerData as WorkerInit;
  const stop = new Int32Array(init.stop);
  const hasher = new RunHasher(init.sources, init.pieceLength, init.bufferBytes);
  const send = (m: FromWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'exit') {
      port.close();
      return;
    }
    try {
      const r = hasher.run(
        msg.first,
        msg.count,
        (bytes) => send({ type: 'progress', bytes }),
        () => Atomics.load(stop, 0) !== 0,
      );
      const ab = new ArrayBuffer(r.hashes.byteLength);
      new Uint8Array(ab).set(r.hashes);
      send({ type: 'done', id: msg.id, hashes: ab, missing: r.missing, aborted: r.aborted }, [ab]);
    } catch (err) {
      const f = err instanceof HashFailure ? err : new HashFailure(String((err as Error)?.message ?? err), '', undefined);
      send({ type: 'error', message: f.message, path: f.path, code: f.code });
    }
  });
}
