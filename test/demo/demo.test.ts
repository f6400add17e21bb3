import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run } from '../helpers/proc.js';

const here = dirname(fileURLToPath(import.meta.url));

test('npm run demo: tracker, create, seed, download on 127.0.0.1, same bytes, everything stopped and removed', async () => {
  const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('swarm-demo-')));
  // the demo does not run under the test runner unless NODE_TEST_CONTEXT is cleared
  const env: NodeJS.ProcessEnv = { ...process.env, SWARM_DEMO_MIB: '4' };
  delete env.NODE_TEST_CONTEXT;
  const r = await run(process.execPath, [join(here, 'run.js')], { env, timeoutMs: 90_000 });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^demo: tracker {3}pid \d+, http:\/\/127\.0\.0\.1:\d+\/announce$/m);
  assert.match(r.stdout, /^demo: done: 4 MiB from seeder to downloader in [\d.]+ s .*sha1 [0-9a-f]{40} on both sides, peers found through the tracker$/m);
  // the seeder and the tracker, stopped by PID with Ctrl-C
  assert.equal((r.stdout.match(/^demo: stopped pid \d+ \(exit 130\)$/gm) ?? []).length, 2, r.stdout);
  // the downloader's progress (not a TTY here: plain lines) reached this terminal
  assert.match(r.stderr, /100\.0% \| 4\.00 MiB \/ 4\.00 MiB/);
  const left = readdirSync(tmpdir()).filter((n) => n.startsWith('swarm-demo-') && !before.has(n));
  assert.deepEqual(left, []);
});
