import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runSwarm, startSwarm } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

test('swarm tracker + swarm seed + two swarm downloads, finding each other only through the tracker', async (t) => {
  const dir = tempDir(t);
  const data = join(dir, 'share');
  mkdirSync(data);
  const payload = randomBytes(6 * 1024 * 1024 + 777);
  writeFileSync(join(data, 'film.bin'), payload);

  const tracker = startSwarm(['tracker', '--port', '0']);
  t.after(() => tracker.stop('SIGINT'));
  const [, port] = await tracker.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
  const torrent = join(dir, 'film.torrent');
  const made = await runSwarm(['create', join(data, 'film.bin'), '--announce', `http://127.0.0.1:${port}/announce`, '-o', torrent]);
  assert.equal(made.code, 0, made.stderr);

  const seeder = startSwarm(['seed', torrent, data, '--port', '0']);
  t.after(() => seeder.stop('SIGINT'));
  await seeder.waitFor(/serving until Ctrl-C/);

  // no --peer: the downloaders learn of the seeder, and of each other, from the tracker
  const outs = [join(dir, 'a'), join(dir, 'b')];
  const runs = await Promise.all(outs.map((o) => runSwarm(['download', torrent, '-o', o, '--quiet'], { timeoutMs: 60_000 })));
  for (const [i, r] of runs.entries()) {
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(join(outs[i]!, 'film.bin')).equals(payload), `downloader ${i} has the right bytes`);
  }
  const stats = (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as { announces: number; torrents: number };
  assert.equal(stats.torrents, 1);
  // seeder started; each downloader started, completed and stopped
  assert.ok(stats.announces >= 7, `announces: ${stats.announces}`);
  const stopped = await seeder.stop('SIGINT');
  assert.equal(stopped.code, 130);
});
