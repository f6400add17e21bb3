/**
 * Pure timing rules of the tracker client: BEP 15 retransmission, backoff after failures,
 * and how a tracker's interval / min interval turn into our announce times.
 */

/** BEP 15: wait 15 * 2^n seconds for an answer before sending again (n = 0, 1, ... 8). */
export function retransmitTimeoutMs(n: number, baseMs = 15_000): number {
  return baseMs * 2 ** n;
}

export const BACKOFF = {
  /** First wait after a network failure (timeout, refused, garbage). */
  networkBaseMs: 15_000,
  /** First wait after a tracker said "failure reason": it will likely say it again. */
  refusedBaseMs: 5 * 60_000,
  maxMs: 60 * 60_000,
};

/** How long to leave a tracker alone after its `failures`-th failure in a row (failures >= 1). */
export function failureBackoffMs(failures: number, refused: boolean): number {
  const base = refused ? BACKOFF.refusedBaseMs : BACKOFF.networkBaseMs;
  return Math.min(BACKOFF.maxMs, base * 2 ** Math.max(0, Math.min(failures - 1, 20)));
}

export interface IntervalRules {
  /** Used when the tracker gives no interval. */
  defaultIntervalS: number;
  /** Never announce more often than this, whatever a tracker says. */
  floorMs: number;
  ceilingMs: number;
}

export const INTERVAL_RULES: IntervalRules = { defaultIntervalS: 1800, floorMs: 15_000, ceilingMs: 24 * 3600_000 };

/**
 * The regular re-announce interval and the earliest an extra announce (update()) may go,
 * both in ms. A missing min interval means min(interval, 60 s).
 */
export function announceTimes(
  resp: { interval?: number; minInterval?: number },
  rules: IntervalRules = INTERVAL_RULES,
): { intervalMs: number; minIntervalMs: number } {
  const clamp = (ms: number) => Math.min(rules.ceilingMs, Math.max(rules.floorMs, ms));
  const intervalMs = clamp((resp.interval ?? rules.defaultIntervalS) * 1000);
  const minRaw = resp.minInterval !== undefined ? resp.minInterval * 1000 : Math.min(intervalMs, 60_000);
  return { intervalMs, minIntervalMs: Math.min(intervalMs, clamp(minRaw)) };
}
