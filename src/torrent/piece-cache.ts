/**
 * A small LRU of pieces read for uploading: peers ask for a piece 16 KiB at a time, and
 * several peers often want the same piece, so one positioned read of the piece serves
 * many requests. Small pieces are read in runs (the pieces a peer asked for next, end to
 * end) with one read for the run. Bounded in bytes: a run is held, and evicted, whole.
 * With `buffers`, runs are read into recycled buffers, given back once evicted and read.
 */
interface Run {
  first: number;
  bytes: number;
  pieces: Promise<Buffer>[];
  /** The run's bytes, once read. */
  data?: Buffer;
  /** The recycled buffer the piece was read into, given back when the run is dropped. */
  into?: Buffer;
}

/** Where pieces are read into, and given back to when dropped (ReadBuffers). */
export interface PieceBuffers {
  /** A buffer of at least `bytes`, perhaps recycled. */
  take(bytes: number): Buffer;
  give(buf: Buffer): void;
}

/** Reads pieces first .. first+count-1 end to end into one buffer (`into` when given). */
export type LoadRun = (first: number, count: number, into?: Buffer) => Promise<Buffer>;

export class PieceCache {
  /** Insertion order is recency order: the first run is the least recently used. */
  private readonly runs = new Set<Run>();
  private readonly byIndex = new Map<number, Run>();
  private held = 0;
  private readonly maxRun: number;

  constructor(
    private readonly maxBytes: number,
    /** Reads the piece, into `into` when given. */
    private readonly load: (index: number, into?: Buffer) => Promise<Buffer>,
    private readonly sizeOf: (index: number) => number,
    private readonly loadRun?: LoadRun,
    /** Bytes read together at most; default a quarter of the cache. */
    maxRunBytes?: number,
    private readonly buffers?: PieceBuffers,
  ) {
    this.maxRun = Math.min(maxRunBytes ?? Infinity, Math.floor(maxBytes / 4));
  }

  get bytes(): number {
    return this.held;
  }

  /** Cached or being read. */
  has(index: number): boolean {
    return this.byIndex.has(index);
  }

  /** 'no': not cached; 'first': the first (or only) piece of a run read together; 'yes': any other. */
  state(index: number): 'no' | 'first' | 'yes' {
    const run = this.byIndex.get(index);
    return run === undefined ? 'no' : run.first === index ? 'first' : 'yes';
  }

  /**
   * Copies bytes [begin, begin+length) of piece `index` to into[at..] when the piece is
   * cached and read; false otherwise.
   */
  copyOut(index: number, begin: number, length: number, into: Buffer, at: number): boolean {
    const run = this.byIndex.get(index);
    const data = run?.data;
    if (!data) return false;
    // only the torrent's last piece is short, and it ends any run it is in
    const from = (index - run.first) * this.sizeOf(run.first) + begin;
    data.copy(into, at, from, from + length);
    return true;
  }

  /**
   * Piece `index`. On a miss, `ahead()` (asked only then) says how many pieces from
   * `index` on are wanted soon: those not cached yet are read with it, in one run.
   */
  get(index: number, ahead?: () => number): Promise<Buffer> {
    const hit = this.byIndex.get(index);
    if (hit) {
      // move to the most recently used end
      this.runs.delete(hit);
      this.runs.add(hit);
      return hit.pieces[index - hit.first]!;
    }
    let bytes = this.sizeOf(index);
    if (bytes > this.maxBytes) return this.load(index);
    let count = 1;
    if (ahead && this.loadRun) {
      const want = ahead();
      while (count < want && !this.byIndex.has(index + count)) {
        const next = this.sizeOf(index + count);
        if (bytes + next > this.maxRun) break;
        bytes += next;
        count++;
      }
    }
    const into = this.buffers?.take(bytes);
    // what the run holds is what it costs: a recycled buffer may be larger than asked for
    const run: Run = { first: index, bytes: into?.length ?? bytes, pieces: [], into };
    const all = count === 1 ? this.load(index, into) : this.loadRun!(index, count, into);
    all.then((b) => (run.data = b), () => undefined);
    if (count === 1) run.pieces.push(all);
    else {
      for (let k = 0, at = 0; k < count; k++) {
        const size = this.sizeOf(index + k);
        const from = at;
        const p = all.then((b) => b.subarray(from, from + size));
        // a piece nobody asks for must not become an unhandled rejection
        p.catch(() => undefined);
        run.pieces.push(p);
        at += size;
      }
    }
    this.runs.add(run);
    for (let k = 0; k < count; k++) this.byIndex.set(index + k, run);
    this.held += run.bytes;
    // a failed read must not stay cached
    run.pieces[0]!.catch(() => this.drop(run));
    while (this.held > this.maxBytes) this.drop(this.runs.values().next().value!);
    return run.pieces[0]!;
  }

  /** Forgets the piece (and the run it was read with). */
  evict(index: number): void {
    const run = this.byIndex.get(index);
    if (run) this.drop(run);
  }

  private drop(run: Run): void {
    if (!this.runs.delete(run)) return;
    for (let k = 0; k < run.pieces.length; k++) {
      if (this.byIndex.get(run.first + k) === run) this.byIndex.delete(run.first + k);
    }
    this.held -= run.bytes;
    const into = run.into;
    // once read: a read still in flight writes into it (a failed one keeps it from reuse)
    if (into) run.pieces[0]!.then(() => this.buffers!.give(into), () => undefined);
  }

  clear(): void {
    this.runs.clear();
    this.byIndex.clear();
    this.held = 0;
  }
}
