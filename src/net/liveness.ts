/**
 * When to send a keep-alive and when to give up on a silent peer, from byte counters and
 * a clock reading. Pure: the caller ticks it with values (no per-message timestamps, the
 * counters are compared between ticks), so it is tested without sockets or timers.
 */
export type LivenessAction = 'idle-timeout' | 'keep-alive' | null;

export class Liveness {
  private rxMark: number;
  private rxAt: number;
  private txMark: number;
  private txAt: number;

  constructor(
    private readonly idleTimeoutMs: number,
    private readonly keepAliveMs: number,
    now: number,
    received: number,
    sent: number,
  ) {
    this.rxMark = received;
    this.txMark = sent;
    this.rxAt = now;
    this.txAt = now;
  }

  /** How often to tick so both deadlines are met within a quarter of the shorter one. */
  get tickMs(): number {
    return Math.max(5, Math.min(this.idleTimeoutMs, this.keepAliveMs) / 4);
  }

  /**
   * `paused`: we stopped reading on purpose, so silence is not the peer's fault. After
   * 'keep-alive' the caller sends one, and its bytes count as sent at the next tick.
   */
  tick(now: number, received: number, sent: number, paused: boolean): LivenessAction {
    if (received !== this.rxMark || paused) {
      this.rxMark = received;
      this.rxAt = now;
    } else if (now - this.rxAt >= this.idleTimeoutMs) {
      return 'idle-timeout';
    }
    if (sent !== this.txMark) {
      this.txMark = sent;
      this.txAt = now;
    } else if (now - this.txAt >= this.keepAliveMs) {
      return 'keep-alive';
    }
    return null;
  }
}
