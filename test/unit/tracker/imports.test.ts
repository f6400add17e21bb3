import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../helpers/paths.js';

/** Every source file reachable through relative imports from `entry`, as paths from the repo root. */
function reachable(entry: string): Set<string> {
  const root = repoRoot();
  const seen = new Set<string>();
  const todo = [join(root, entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    const rel = relative(root, file);
    if (seen.has(rel)) continue;
    seen.add(rel);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
      const ts = resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts');
      if (existsSync(ts)) todo.push(ts);
    }
  }
  return seen;
}

test('the tracker server never reaches the torrent engine or the CLI', () => {
  const files = reachable('src/tracker/server/index.ts');
  assert.ok(files.has('src/tracker/server/store.ts') && files.has('src/tracker/protocol/udp.ts'), 'the walk follows imports');
  const bad = [...files].filter((f) => f.startsWith('src/torrent/') || f.startsWith('src/cli/'));
  assert.deepEqual(bad, []);
});

test('the tracker protocol is pure: no sockets, files or timers, and no client or server code', () => {
  for (const f of reachable('src/tracker/protocol/index.ts')) {
    assert.ok(!/^src\/(torrent|cli|tracker\/client|tracker\/server)\//.test(f), `${f} is reachable from the protocol`);
    const text = readFileSync(join(repoRoot(), f), 'utf8');
    assert.doesNotMatch(text, /from 'node:(dgram|http|https|fs|fs\/promises|dns|timers)'|setTimeout|setInterval/, `${f} does I/O or keeps time`);
  }
});

test('the tracker client does not reach the torrent engine or the CLI', () => {
  const bad = [...reachable('src/tracker/client/index.ts')].filter((f) => f.startsWith('src/torrent/') || f.startsWith('src/cli/'));
  assert.deepEqual(bad, []);
});
