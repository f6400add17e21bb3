/**
 * Decides whether a read may run on the main thread. A seeder serving small pieces makes
 * one read per piece (libtorrent asks for them in random order), and each async read
 * costs a trip through the thread pool: about 25 µs of main-thread time, where a
 * synchronous read from the page cache takes a few µs. Serving 1 GiB of 16 KiB pieces to
 * libtorrent: seeder CPU 3.7-4.4 s and 6.3-6.9 s wall with async reads, 2.0-2.3 s and
 * 4.6-4.8 s with synchronous ones.
 *
 * A synchronous read that has to wait for the disk blocks every peer, so two slow reads
 * in a row (each slower than `slowMs` plus its bytes at `bytesPerMs`: a disk seek, not a
 * copy from the cache) send reads back to the thread pool for `backoffMs`; then one is
 * tried on the main thread again. A cold spinning disk thus costs at most two seeks per
 * `backoffMs` on the main thread. (An SSD's uncached reads are fast enough to stay
 * synchronous.) Why two: this VM pauses a cached 16 KiB read for 2-8 ms now and then, a
 * few times per GiB, never twice in a row; with one slow read enough, those pauses kept
 * reads in the thread pool for most of the run.
 */
export class ReadGovernor {
  private asyncUntil = Number.NEGATIVE_INFINITY;
  private lastWasSlow = false;

  constructor(
    readonly slowMs = 5,
    readonly backoffMs = 1000,
    readonly bytesPerMs = 100_000,
  ) {}

  /** Whether the next read may be synchronous. */
  syncAllowed(now: number): boolean {
    return now >= this.asyncUntil;
  }

  /** A synchronous read of `bytes` took `ms`; true when reads now go async for a while. */
  record(ms: number, bytes: number, now: number): boolean {
    const slow = ms > this.slowMs + bytes / this.bytesPerMs;
    const trip = slow && this.lastWasSlow;
    this.lastWasSlow = slow && !trip;
    if (trip) this.asyncUntil = now + this.backoffMs;
    return trip;
  }
}
