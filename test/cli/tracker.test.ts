import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { httpAnnounce, httpGet } from '../../src/tracker/client/http.js';
import { UdpTrackerClient } from '../../src/tracker/client/udp.js';
import type { AnnounceParams } from '../../src/tracker/protocol/types.js';
import { freePort } from '../helpers/net.js';
import { runSwarm, startSwarm } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

const HASH = Buffer.alloc(20, 0x5a);
const params = (port: number, left: number, infoHash = HASH): AnnounceParams => ({
  infoHash,
  peerId: Buffer.from(`-CL0001-${String(port).padStart(12, '0')}`),
  port,
  uploaded: 0,
  downloaded: 0,
  left,
  event: 'started',
});

test('swarm tracker serves HTTP and UDP, logs NDJSON, and exits 130 on Ctrl-C', async (t) => {
  const port = await freePort();
  const p = startSwarm(['tracker', '--port', String(port), '--interval', '120', '--json']);
  t.after(() => p.stop('SIGKILL'));
  await p.waitFor(/"event":"listening"/);
  const udp = new UdpTrackerClient({ baseTimeoutMs: 1000, maxRetries: 2 });
  t.after(() => udp.close());
  const a = await httpAnnounce(`http://127.0.0.1:${port}/announce`, params(7001, 0));
  assert.equal(a.interval, 120);
  const b = await udp.announce(`udp://127.0.0.1:${port}/announce`, params(7002, 9));
  assert.deepEqual(b.peers, [{ host: '127.0.0.1', port: 7001 }]);
  const stats = JSON.parse((await httpGet(`http://127.0.0.1:${port}/stats`)).body.toString()) as Record<string, number>;
  assert.deepEqual([stats.torrents, stats.seeders, stats.leechers], [1, 1, 1]);
  await p.waitFor(/"via":"udp"/);
  const r = await p.stop('SIGINT');
  assert.equal(r.code, 130);
  const lines = p.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((l) => l.event), ['listening', 'announce', 'announce', 'stopped']);
  assert.equal(lines[0]!.port, port);
  assert.deepEqual([lines[1]!.via, lines[1]!.kind, lines[1]!.peer], ['http', 'started', '127.0.0.1:7001']);
  assert.equal(lines[2]!.infoHash, HASH.toString('hex'));
  assert.equal(p.stderr, '');
});

test('human output names the announce URLs; SIGTERM exits 143', async (t) => {
  const p = startSwarm(['tracker', '--port', '0']);
  t.after(() => p.stop('SIGKILL'));
  const m = await p.waitFor(/announce: http:\/\/127\.0\.0\.1:(\d+)\/announce {2}udp:\/\/127\.0\.0\.1:(\d+)\/announce/);
  assert.equal(m[1], m[2], 'one port for both');
  const r = await p.stop('SIGTERM');
  assert.equal(r.code, 143);
  assert.match(p.stdout, /swarm tracker stopped after 0 announces/);
});

test('--allow: only listed torrents; SIGHUP reloads the list', async (t) => {
  const dir = tempDir(t);
  const list = join(dir, 'allow.txt');
  writeFileSync(list, `# the one torrent\n${HASH.toString('hex')}\n`);
  const port = await freePort();
  const p = startSwarm(['tracker', '--port', String(port), '--allow', list]);
  t.after(() => p.stop('SIGKILL'));
  await p.waitFor(/1 torrents allowed/);
  const other = Buffer.alloc(20, 0x11);
  await httpAnnounce(`http://127.0.0.1:${port}/announce`, params(7101, 5));
  await assert.rejects(httpAnnounce(`http://127.0.0.1:${port}/announce`, params(7101, 5, other)), /tracker refused: info hash not allowed on this tracker/);
  writeFileSync(list, `${HASH.toString('hex')}\n${other.toString('hex').toUpperCase()}\n`);
  process.kill(p.pid!, 'SIGHUP');
  await p.waitFor(/allow list reloaded: 2 torrents/);
  await httpAnnounce(`http://127.0.0.1:${port}/announce`, params(7101, 5, other));
  // a broken list on reload keeps the old one
  writeFileSync(list, 'garbage\n');
  process.kill(p.pid!, 'SIGHUP');
  await p.waitFor(/line 1: expected a 40-digit hex info hash, got "garbage"; keeping the old allow list/);
  await httpAnnounce(`http://127.0.0.1:${port}/announce`, params(7102, 5, other));
  assert.equal((await p.stop('SIGINT')).code, 130);
});

test('bad usage exits 2 with one clear sentence; a taken port exits 1', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['tracker', '--port', '70000'], /^swarm: --port "70000" is not a port from 0 to 65535/],
    [['tracker', '--interval', '0'], /^swarm: --interval "0" is not a number of seconds from 1 to 86400/],
    [['tracker', '--host', 'example.org'], /^swarm: --host "example.org" is not an IP address/],
    [['tracker', '--allow', '/nonexistent/list.txt'], /^swarm: cannot read the allow list \/nonexistent\/list.txt: no such file/],
  ];
  for (const [args, re] of cases) {
    const r = await runSwarm(args, { timeoutMs: 20_000 });
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
  }
  const port = await freePort();
  const first = startSwarm(['tracker', '--port', String(port)]);
  t.after(() => first.stop('SIGKILL'));
  await first.waitFor(/listening/);
  const r = await runSwarm(['tracker', '--port', String(port)], { timeoutMs: 20_000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^swarm: UDP port 127.0.0.1:${port} is already in use`));
  await first.stop('SIGINT');
});
