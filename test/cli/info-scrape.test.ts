import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTorrent } from '../../src/metainfo/create.js';
import { httpAnnounce } from '../../src/tracker/client/http.js';
import { startTracker } from '../../src/tracker/server/index.js';
import { freePort } from '../helpers/net.js';
import { runSwarm } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

test('swarm info --scrape asks each tracker, over HTTP and UDP, and says when one is dead', async (t) => {
  const tracker = await startTracker({ port: 0, host: '127.0.0.1' });
  t.after(() => tracker.close());
  const dead = await freePort();
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.bin'), randomBytes(50_000));
  const http = `http://127.0.0.1:${tracker.port}/announce`;
  const udp = `udp://127.0.0.1:${tracker.port}`;
  const { torrent, metainfo } = await createTorrent({
    path: join(dir, 'a.bin'),
    announce: [http, udp, `http://127.0.0.1:${dead}/announce`],
    date: false,
  });
  const file = join(dir, 'a.torrent');
  writeFileSync(file, torrent);
  // one seeder and one leecher known to the tracker
  for (const left of [0, 1000]) {
    await httpAnnounce(http, {
      infoHash: metainfo.infoHash,
      peerId: randomBytes(20),
      port: 6881 + left,
      uploaded: 0,
      downloaded: 0,
      left,
      event: 'started',
    });
  }
  const r = await runSwarm(['info', file, '--scrape', '--json'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { scrape: Array<{ url: string; complete?: number; incomplete?: number; error?: string }> };
  const byUrl = new Map(j.scrape.map((s) => [s.url, s]));
  for (const url of [http, udp]) {
    assert.equal(byUrl.get(url)?.complete, 1, url);
    assert.equal(byUrl.get(url)?.incomplete, 1, url);
  }
  assert.ok(byUrl.get(`http://127.0.0.1:${dead}/announce`)?.error, 'the dead tracker reports an error');

  const text = await runSwarm(['info', file, '--scrape'], { timeoutMs: 30_000 });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /seeders 1, leechers 1/);
  assert.match(text.stdout, /failed: /);
});
