/**
 * The index of the last entry of ascending `starts` that is at most `value` (0 when
 * `value` is below them all): which file, of files starting at these offsets, holds a byte.
 */
export function lastAtMost(starts: readonly number[], value: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
