import type { TokenBucket } from '../util/token-bucket.js';

/**
 * Holds a download limit: every payload byte received is spent from the bucket, and when
 * it runs dry, reading from every peer pauses until it has refilled. `changed` is called
 * when holding() turns; the torrent decides what reading is then (the disk may hold it
 * too).
 */
export class DownloadThrottle {
  /** A flag the timer clears, not a deadline compared with the clock: timers may fire a hair early. */
  private held = false;

  constructor(
    private readonly bucket: TokenBucket,
    private readonly now: () => number,
    private readonly changed: () => void,
  ) {}

  /** Reading is paused for the limit right now (a new peer should start paused). */
  holding(): boolean {
    return this.held;
  }

  received(bytes: number): void {
    const now = this.now();
    this.bucket.spend(bytes, now);
    const wait = this.bucket.delayFor(1, now);
    if (wait <= 0 || this.held) return;
    this.held = true;
    this.changed();
    setTimeout(() => {
      this.held = false;
      this.changed();
    }, wait).unref();
  }
}
