import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { StorageError } from '../util/errors.js';
import { logger } from '../util/log.js';
import { HashFailure, RunHasher, type RunResult } from './piece-hasher-core.js';
import type { FromWorker, ToWorker, WorkerInit } from './piece-hasher-worker.js';

const log = logger('hasher');

/** One stretch of the torrent's byte stream: a file, or zeros (padding) when path is null. */
export interface HashSource {
  path: string | null;
  length: number;
}

export interface HashPiecesOptions {
  sources: HashSource[];
  pieceLength: number;
  /** Piece indices to hash, in the order the results come back; default: all of them. */
  pieces?: number[];
  /** Worker threads; default os.availableParallelism(). */
  threads?: number;
  signal?: AbortSignal;
  /** Total bytes read so far, called as chunks complete. */
  onProgress?: (bytesDone: number) => void;
}

/** Each thread reads through one buffer of this size: memory is bounded per thread. */
export const HASH_BUFFER_BYTES = 4 * 1024 * 1024;
/** Work is handed out in runs of about this many bytes, so fast threads take more. */
const JOB_TARGET_BYTES = 16 * 1024 * 1024;
/** Below this many bytes, starting threads costs more than it saves. */
const INLINE_MAX_BYTES = 4 * 1024 * 1024;

interface Job {
  first: number;
  count: number;
  /** Position of `first` among the distinct requested pieces, sorted. */
  pos: number;
}

/**
 * SHA-1 of the requested pieces, in the order asked (views into one shared buffer: copy
 * before changing one). A piece whose bytes cannot all be read because a file is missing
 * or too short gives null; any other read error (permission, I/O) rejects with a
 * StorageError. Rejects with the signal's reason when aborted.
 */
export async function hashPieces(opts: HashPiecesOptions): Promise<Array<Buffer | null>> {
  const { sources, pieceLength } = opts;
  if (!Number.isSafeInteger(pieceLength) || pieceLength <= 0) throw new RangeError(`bad piece length ${pieceLength}`);
  let total = 0;
  for (const s of sources) {
    if (!Number.isSafeInteger(s.length) || s.length < 0) throw new RangeError(`bad source length ${s.length}`);
    total += s.length;
  }
  if (!Number.isSafeInteger(total)) throw new RangeError('sources larger than 2^53 bytes');
  const pieceCount = Math.ceil(total / pieceLength);
  const requested = opts.pieces ?? Array.from({ length: pieceCount }, (_, i) => i);
  for (const p of requested) {
    if (!Number.isInteger(p) || p < 0 || p >= pieceCount) throw new RangeError(`piece ${p} out of range 0..${pieceCount - 1}`);
  }
  opts.signal?.throwIfAborted();
  const unique = [...new Set(requested)].sort((a, b) => a - b);
  const bytes = unique.reduce((sum, p) => sum + Math.min(pieceLength, total - p * pieceLength), 0);
  const threads = Math.max(0, Math.floor(opts.threads ?? availableParallelism()));

  // One digest buffer and one flag per distinct piece: the results are views into it, so a
  // torrent of a million pieces costs 20 bytes each here, not a Map entry and a Buffer each.
  const digests = Buffer.alloc(unique.length * 20);
  const lost = new Uint8Array(unique.length);
  const record = (job: Job, r: { hashes: Buffer; missing: number[] }): void => {
    r.hashes.copy(digests, job.pos * 20, 0, job.count * 20);
    for (const k of r.missing) lost[job.pos + k] = 1;
  };
  let done = 0;
  const onBytes = (n: number): void => {
    done += n;
    opts.onProgress?.(done);
  };

  if (threads <= 1 || bytes <= INLINE_MAX_BYTES) {
    await runInline(makeJobs(unique, pieceLength, 1), sources, pieceLength, record, onBytes, opts.signal);
  } else {
    const jobs = makeJobs(unique, pieceLength, threads);
    await runPool(jobs, Math.min(threads, jobs.length), sources, pieceLength, record, onBytes, opts.signal);
  }
  const posOf = opts.pieces ? new Map(unique.map((p, i) => [p, i])) : undefined;
  return requested.map((p) => {
    const i = posOf ? posOf.get(p)! : p;
    return lost[i] ? null : digests.subarray(i * 20, i * 20 + 20);
  });
}

/** Cuts sorted piece indices into runs of consecutive pieces, a few per thread. */
function makeJobs(pieces: number[], pieceLength: number, threads: number): Job[] {
  const byBytes = Math.max(1, Math.floor(JOB_TARGET_BYTES / pieceLength));
  const byBalance = Math.max(1, Math.ceil(pieces.length / (threads * 4)));
  const per = Math.min(byBytes, byBalance);
  const jobs: Job[] = [];
  pieces.forEach((p, pos) => {
    const last = jobs[jobs.length - 1];
    if (last && last.first + last.count === p && last.count < per) last.count++;
    else jobs.push({ first: p, count: 1, pos });
  });
  return jobs;
}

async function runInline(
  jobs: Job[],
  sources: HashSource[],
  pieceLength: number,
  record: (job: Job, r: RunResult) => void,
  onBytes: (n: number) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const hasher = new RunHasher(sources, pieceLength, Math.min(HASH_BUFFER_BYTES, JOB_TARGET_BYTES));
  for (const job of jobs) {
    signal?.throwIfAborted();
    try {
      record(job, hasher.run(job.first, job.count, onBytes));
    } catch (err) {
      throw toStorageError(err);
    }
    // let timers, I/O and an abort get a turn between runs
    await new Promise((r) => setImmediate(r));
  }
  signal?.throwIfAborted();
}

function runPool(
  jobs: Job[],
  threads: number,
  sources: HashSource[],
  pieceLength: number,
  record: (job: Job, r: { hashes: Buffer; missing: number[] }) => void,
  onBytes: (n: number) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const stopBuf = new SharedArrayBuffer(4);
  const stop = new Int32Array(stopBuf);
  const init: WorkerInit = { sources, pieceLength, bufferBytes: HASH_BUFFER_BYTES, stop: stopBuf };
  const url = new URL('./piece-hasher-worker.js', import.meta.url);
  log('hashing %d runs on %d threads', jobs.length, threads);

  return new Promise<void>((resolve, reject) => {
    let next = 0;
    let remaining = jobs.length;
    let alive = threads;
    let failure: { err: unknown } | undefined;
    const inFlight = new Map<number, Job>();
    const workers: Worker[] = [];

    const fail = (err: unknown): void => {
      if (failure) return;
      failure = { err };
      // workers see the flag between chunks, finish quickly, then take their 'exit'
      Atomics.store(stop, 0, 1);
      for (const w of workers) w.postMessage({ type: 'exit' } satisfies ToWorker);
    };
    const onAbort = (): void => fail(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    const feed = (w: Worker): void => {
      if (failure || next >= jobs.length) {
        w.postMessage({ type: 'exit' } satisfies ToWorker);
        return;
      }
      const id = next++;
      const job = jobs[id]!;
      inFlight.set(id, job);
      w.postMessage({ type: 'job', id, first: job.first, count: job.count } satisfies ToWorker);
    };

    for (let i = 0; i < threads; i++) {
      const w = new Worker(url, { workerData: init });
      workers.push(w);
      w.on('message', (m: FromWorker) => {
        if (m.type === 'progress') {
          if (!failure) onBytes(m.bytes);
        } else if (m.type === 'done') {
          const job = inFlight.get(m.id)!;
          inFlight.delete(m.id);
          if (!m.aborted && !failure) {
            record(job, { hashes: Buffer.from(m.hashes), missing: m.missing });
            remaining--;
          }
          feed(w);
        } else {
          fail(new StorageError('READ_FAILED', m.message));
        }
      });
      w.on('error', (err) => fail(err));
      w.on('exit', () => {
        if (--alive > 0) return;
        signal?.removeEventListener('abort', onAbort);
        if (failure) reject(failure.err);
        else if (remaining > 0) reject(new StorageError('HASHER_DIED', 'a hashing thread stopped before its work was done'));
        else resolve();
      });
      feed(w);
    }
  });
}

function toStorageError(err: unknown): unknown {
  if (err instanceof HashFailure) return new StorageError('READ_FAILED', err.message);
  return err;
}
