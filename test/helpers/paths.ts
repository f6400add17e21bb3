import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The package root: the nearest folder above that holds swarm's package.json. */
export function repoRoot(): string {
  let dir = here;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'swarm') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('package root not found');
    dir = up;
  }
}

export function fixture(name: string): string {
  return join(repoRoot(), 'fixtures', name);
}

/** The compiled CLI entry of the same build as this test (works for any outDir). */
export function swarmEntry(): string {
  return resolve(here, '../../src/cli/bin.js');
}
