/** Time as the client sees it; tests pass a fake one to run retry schedules without waiting. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Lets a long wait (the next announce) not keep the process alive by itself. */
export function unrefHandle(h: unknown): void {
  const t = h as { unref?: () => unknown } | null;
  if (t && typeof t.unref === 'function') t.unref();
}
