import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';

/**
 * The dependency direction of DESIGN.md section 2, as ranks: a module may import its own
 * folder and any folder of a lower rank, nothing else. Same-rank siblings stay apart
 * (storage does not know the wire; the tracker server never imports torrent/).
 */
const RANK: Record<string, number> = {
  types: 0,
  'version.ts': 0,
  util: 0,
  hash: 1,
  bencode: 1,
  metainfo: 2,
  wire: 3,
  'tracker/protocol': 3,
  storage: 3,
  net: 4,
  'tracker/client': 4,
  'tracker/server': 4,
  // tracker/index.ts re-exports the three parts above
  tracker: 5,
  torrent: 5,
  cli: 6,
  'index.ts': 7,
};

function moduleOf(rel: string): string {
  const parts = rel.split('/');
  if (parts[0] === 'tracker' && parts.length > 2) return `tracker/${parts[1]}`;
  // a top-level file: imports name it .js, the source is .ts
  return parts.length === 1 ? parts[0]!.replace(/\.js$/, '.ts') : parts[0]!;
}

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

test('imports follow the layers: util <- bencode <- metainfo <- wire/storage/tracker <- torrent <- cli', () => {
  const src = join(repoRoot(), 'src');
  const bad: string[] = [];
  let checked = 0;
  for (const file of sources(src)) {
    const rel = relative(src, file).split('\\').join('/');
    const from = moduleOf(rel);
    assert.ok(from in RANK, `${rel}: folder ${from} has no rank in this test`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = join(file, '..', m[1]!);
      const to = moduleOf(relative(src, target).split('\\').join('/'));
      checked++;
      if (to === from) continue;
      if (!(to in RANK) || RANK[to]! >= RANK[from]!) bad.push(`${rel} imports ${m[1]} (${from} -> ${to})`);
    }
  }
  assert.ok(checked > 100, `only ${checked} imports found`);
  assert.deepEqual(bad, []);
});
