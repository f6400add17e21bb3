import type { TokenBucket } from '../util/token-bucket.js';

/**
 * Holds a download limit: every payload byte received is spent from the bucket, and when
 * it runs dry, reading from every peer pauses until it has refilled.
 */
export class DownloadThrottle {
  private until = 0;

  constructor(
    private readonly bucket: TokenBucket,
    private readonly now: () => number,
    private readonly setReading: (on: boolean) => void,
  ) {}

  /** Reading is paused for the limit right now (a new peer should start paused). */
  holding(): boolean {
    return this.until > this.now();
  }

  received(bytes: number): void {
    const now = this.now();
    this.bucket.spend(bytes, now);
    const wait = this.bucket.delayFor(1, now);
    if (wait <= 0 || this.until > now) return;
    this.until = now + wait;
    this.setReading(false);
    setTimeout(() => this.setReading(true), wait).unref();
  }
}
