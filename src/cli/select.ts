import { UsageError } from '../util/errors.js';

/** Longer --select values are refused before parsing: a list is typed, never megabytes. */
const MAX_SELECT_LENGTH = 10_000;

/**
 * `--select 1-3,7`: file indices as `swarm info` lists them (1-based), single numbers and
 * inclusive ranges separated by commas. Returns the indices sorted, each once. Every
 * index must name one of the torrent's `fileCount` files.
 */
export function parseSelect(spec: string, fileCount: number): number[] {
  const bad = (why: string): UsageError => new UsageError('BAD_SELECT', `--select ${JSON.stringify(spec)} ${why}`);
  if (spec.length > MAX_SELECT_LENGTH) throw bad(`is longer than ${MAX_SELECT_LENGTH} characters`);
  const parts = spec.split(',').map((p) => p.trim());
  if (parts.every((p) => p === '')) throw bad('is empty: give file numbers such as 1-3,7 (see --list)');
  const chosen = new Set<number>();
  for (const part of parts) {
    if (part === '') continue;
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw bad(`has ${JSON.stringify(part)}, which is not a file number or a range such as 2-5`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from > to) throw bad(`has the range ${part}, which runs backwards`);
    for (const n of [from, to]) {
      if (n < 1 || n > fileCount) {
        const range = fileCount === 1 ? 'the torrent has 1 file' : `the torrent has files 1 to ${fileCount}`;
        throw bad(`names file ${n}, but ${range} (see --list)`);
      }
    }
    for (let i = from; i <= to; i++) chosen.add(i);
  }
  return [...chosen].sort((a, b) => a - b);
}
