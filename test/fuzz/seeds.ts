import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

/** Every committed .torrent fixture: valid v1, hybrid, v2-only, unsorted keys, traversal. */
export function torrentSeeds(): Buffer[] {
  const dir = join(repoRoot(), 'fixtures');
  return readdirSync(dir)
    .filter((n) => n.endsWith('.torrent'))
    .sort()
    .map((n) => readFileSync(join(dir, n)));
}
