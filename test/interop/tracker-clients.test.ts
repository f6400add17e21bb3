import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { httpGet } from '../../src/tracker/client/http.js';
import { PYTHON, haveCommand, haveLibtorrent, needClient } from '../helpers/interop.js';
import { freePort } from '../helpers/net.js';
import { repoRoot } from '../helpers/paths.js';
import { Proc, run, startSwarm } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Clients nobody here wrote (libtorrent and aria2) announce to `swarm tracker`, learn of
 * each other only through it (no DHT nodes, no local discovery, no peer exchange, no peer
 * hints) and complete a transfer between themselves: once over HTTP, once over UDP.
 */

const LT_SCRIPT = join(repoRoot(), 'test/interop/py/tracker_peer.py');
const BUDGET_MS = 60_000;

interface Setup {
  port: number;
  tracker: Proc;
  torrent: string;
  seedDir: string;
  leechDir: string;
  payload: Buffer;
  work: string;
}

async function setup(t: TestContext, proto: 'http' | 'udp'): Promise<Setup> {
  const work = tempDir(t, 'swarm-tracker-interop-');
  const seedDir = join(work, 'seed');
  const leechDir = join(work, 'leech');
  mkdirSync(seedDir);
  mkdirSync(leechDir);
  const payload = randomBytes(2 * 1024 * 1024 + 4321);
  writeFileSync(join(seedDir, 'payload.bin'), payload);
  const port = await freePort();
  const tracker = startSwarm(['tracker', '--port', String(port), '--interval', '60', '--json']);
  t.after(() => tracker.stop('SIGTERM', 3000));
  await tracker.waitFor(/"event":"listening"/);
  const torrent = join(work, 'payload.torrent');
  const mk = await run('mktorrent', ['-l', '16', '-a', `${proto}://127.0.0.1:${port}/announce`, '-o', torrent, join(seedDir, 'payload.bin')], { timeoutMs: 30_000 });
  assert.equal(mk.code, 0, mk.stderr);
  return { port, tracker, torrent, seedDir, leechDir, payload, work };
}

function libtorrent(t: TestContext, torrent: string, dir: string, seed: boolean): Proc {
  const args = [LT_SCRIPT, torrent, dir, '--timeout', String(BUDGET_MS / 1000)];
  if (seed) args.push('--seed');
  const p = new Proc(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(async () => {
    p.child.stdin?.end();
    await p.stop('SIGTERM', 3000);
  });
  return p;
}

async function aria2(t: TestContext, s: Setup, dir: string, seed: boolean, udp: boolean): Promise<Proc> {
  const args = [
    `--dir=${dir}`,
    `--listen-port=${await freePort()}`,
    '--interface=127.0.0.1',
    '--disable-ipv6=true',
    // aria2 speaks to UDP trackers through its DHT socket: DHT on, but with no nodes to ask
    `--enable-dht=${udp}`,
    '--enable-dht6=false',
    `--dht-listen-port=${await freePort()}`,
    `--dht-file-path=${join(s.work, `dht-${seed ? 'seed' : 'leech'}.dat`)}`,
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    '--file-allocation=falloc',
    '--summary-interval=0',
    '--console-log-level=warn',
    '--no-conf=true',
    `--stop-with-process=${process.pid}`,
  ];
  if (seed) args.push(`--seed-time=${BUDGET_MS / 60_000}`, '--seed-ratio=0.0', '--check-integrity=true');
  else args.push('--seed-time=0', '--check-integrity=false');
  args.push(s.torrent);
  const p = new Proc('aria2c', args);
  t.after(async () => {
    await p.stop('SIGTERM', 3000);
    // aria2 saves its DHT file as it exits, after the folder's own after-hook removed it
    // (hooks run in the order they were added): remove what it wrote there again
    rmSync(s.work, { recursive: true, force: true });
  });
  return p;
}

interface AnnounceLog {
  event: string;
  via?: string;
  peer?: string;
  left?: number;
  returned?: number;
  kind?: string;
}

function announces(s: Setup): AnnounceLog[] {
  return s.tracker.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as AnnounceLog)
    .filter((e) => e.event === 'announce');
}

/** Waits until the tracker has a seeder for the torrent: the seeder checked its data and announced. */
async function seederKnown(s: Setup, seeder: Proc, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const st = JSON.parse((await httpGet(`http://127.0.0.1:${s.port}/stats`)).body.toString()) as { seeders: number };
    if (st.seeders >= 1) return;
    if (!seeder.running) throw new Error(`seeder exited early:\n${seeder.stdout}\n${seeder.stderr}`);
    if (Date.now() > deadline) throw new Error(`no seeder announced within ${ms} ms:\n${s.tracker.stdout}\n${seeder.stdout}\n${seeder.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function checkTrackerSaw(s: Setup, proto: 'http' | 'udp'): void {
  const log = announces(s);
  const peers = new Set(log.map((e) => e.peer));
  assert.ok(peers.size >= 2, `two clients announced: ${JSON.stringify(log)}`);
  assert.ok(log.every((e) => e.via === proto), `all announces came over ${proto}`);
  assert.ok(log.some((e) => e.left === 0 && e.kind === 'started'), 'the seeder announced itself complete');
  assert.ok(log.some((e) => (e.left ?? 0) > 0 && (e.returned ?? 0) >= 1), 'the leecher was handed the seeder');
}

test('libtorrent seeds and aria2 downloads, finding each other through swarm tracker over HTTP', async (t) => {
  if (!needClient(t, haveLibtorrent(), 'python3-libtorrent')) return;
  if (!needClient(t, haveCommand('aria2c'), 'aria2')) return;
  if (!needClient(t, haveCommand('mktorrent'), 'mktorrent')) return;
  const s = await setup(t, 'http');
  const seeder = libtorrent(t, s.torrent, s.seedDir, true);
  await seeder.waitFor(/"event": "seeding"/, 20_000);
  await seederKnown(s, seeder, 20_000);
  const leecher = await aria2(t, s, s.leechDir, false, false);
  const r = await leecher.wait(BUDGET_MS);
  assert.equal(r.code, 0, `aria2 finished: ${leecher.stdout}\n${leecher.stderr}`);
  assert.ok(readFileSync(join(s.leechDir, 'payload.bin')).equals(s.payload), 'aria2 has the same bytes');
  assert.match(seeder.stdout, /tracker_reply_alert/);
  checkTrackerSaw(s, 'http');
});

test('aria2 seeds and libtorrent downloads, finding each other through swarm tracker over UDP', async (t) => {
  if (!needClient(t, haveLibtorrent(), 'python3-libtorrent')) return;
  if (!needClient(t, haveCommand('aria2c'), 'aria2')) return;
  if (!needClient(t, haveCommand('mktorrent'), 'mktorrent')) return;
  const s = await setup(t, 'udp');
  const seeder = await aria2(t, s, s.seedDir, true, true);
  await seederKnown(s, seeder, 30_000);
  const leecher = libtorrent(t, s.torrent, s.leechDir, false);
  const r = await leecher.wait(BUDGET_MS);
  assert.equal(r.code, 0, `libtorrent finished: ${leecher.stdout}\n${leecher.stderr}`);
  assert.match(leecher.stdout, /"event": "seeding"/);
  assert.match(leecher.stdout, /tracker_reply_alert/);
  assert.ok(readFileSync(join(s.leechDir, 'payload.bin')).equals(s.payload), 'libtorrent has the same bytes');
  checkTrackerSaw(s, 'udp');
});
