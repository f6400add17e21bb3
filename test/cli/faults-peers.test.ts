import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../helpers/net.js';
import { cpuSeconds, JsonProc, MiB, sleep } from '../helpers/resume-tools.js';
import { tempDir } from '../helpers/tmp.js';
import { createTorrent, sameBytes, startSeeder, writeFiles } from './torrent-helpers.js';

/**
 * Every peer vanishes mid-download: `swarm download` neither exits nor spins. It says it
 * is waiting, keeps dialling the address it knows (with backoff), and finishes once the
 * seeder is back on the same port.
 */

test('the only seeder vanishes: the download waits without spinning, says so, and finishes when it returns', { timeout: 90_000 }, async (t) => {
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'src'), { 'v.bin': 8 * MiB });
  const torrent = await createTorrent(join(dir, 'src', 'v.bin'), join(dir, 'v.torrent'), ['--piece-length', '64K']);
  const port = await freePort();
  const seedArgs = ['--no-trackers', '--port', String(port)];
  const first = await startSeeder(t, torrent, join(dir, 'src'), [...seedArgs, '--upload-limit', '2M']);
  const dl = new JsonProc(['download', torrent, '-o', join(dir, 'out'), '--peer', `127.0.0.1:${port}`, '--no-trackers', '--json']);
  t.after(() => dl.kill());
  await dl.waitFor((e) => e.event === 'progress' && (e.doneBytes as number) >= MiB, 20_000);
  await first.proc.stop('SIGKILL');
  const gone = await dl.waitFor((e) => e.event === 'peers' && e.peers === 0, 10_000);

  // four seconds alone: still running, reporting, and all but idle
  const cpu0 = cpuSeconds(dl.pid);
  const wall0 = performance.now();
  await sleep(4_000);
  const cpu = cpuSeconds(dl.pid) - cpu0;
  const wall = (performance.now() - wall0) / 1000;
  assert.ok(dl.proc.running, `exited while waiting for peers:\n${dl.proc.stderr}`);
  assert.ok(cpu / wall < 0.1, `${cpu.toFixed(2)} s of CPU in ${wall.toFixed(1)} s while waiting`);
  const waiting = dl.events.slice(dl.events.indexOf(gone)).filter((x) => x.e.event === 'progress');
  assert.ok(waiting.length >= 3, 'progress events go on while waiting');
  for (const w of waiting) {
    assert.equal(w.e.peers, 0);
    assert.equal(w.e.knownPeers, 1, 'the seeder address is remembered');
    assert.ok((w.e.doneBytes as number) < 8 * MiB);
  }

  // the seeder comes back on the same port
  const back = performance.now();
  await startSeeder(t, torrent, join(dir, 'src'), seedArgs);
  const reconnected = await dl.waitFor((e) => e.event === 'peers' && (e.peers as number) > 0, 40_000, dl.events.indexOf(gone));
  await dl.waitFor((e) => e.event === 'done', 30_000);
  assert.equal((await dl.proc.wait(10_000)).code, 0, dl.proc.stderr);
  assert.ok(sameBytes(join(dir, 'out', 'v.bin'), data['v.bin']!));
  t.diagnostic(`waiting: ${cpu.toFixed(2)} s CPU in ${wall.toFixed(1)} s; reconnected ${Math.round(reconnected.at - back)} ms after the seeder came back`);
});
