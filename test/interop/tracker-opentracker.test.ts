import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Announcer, type PeerFromTracker } from '../../src/tracker/client/announcer.js';
import { scrape } from '../../src/tracker/client/scrape.js';
import { UdpTrackerClient } from '../../src/tracker/client/udp.js';
import { httpGet } from '../../src/tracker/client/http.js';
import { haveCommand, needClient } from '../helpers/interop.js';
import { freePort } from '../helpers/net.js';
import { Proc } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Our announcer against a tracker nobody here wrote: opentracker from Debian, over HTTP
 * and over UDP. Its Debian build only serves whitelisted info hashes (INTEROP.md).
 */

const HASH = Buffer.from('5e1f0ab2c3d4e5f60718293a4b5c6d7e8f901234', 'hex');
const NOT_LISTED = Buffer.alloc(20, 0x77);

async function startOpentracker(t: TestContext): Promise<number> {
  const dir = tempDir(t, 'swarm-opentracker-');
  // run as root it chroots to the folder and drops to nobody, who must be able to read the list
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'whitelist.txt'), `${HASH.toString('hex')}\n`);
  chmodSync(join(dir, 'whitelist.txt'), 0o644);
  const port = await freePort();
  const args = ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-d', dir, '-w', 'whitelist.txt'];
  if (process.getuid?.() === 0) args.push('-u', 'nobody');
  const p = new Proc('opentracker', args, { cwd: dir });
  t.after(() => p.stop('SIGTERM', 2000));
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await httpGet(`http://127.0.0.1:${port}/stats`, { timeoutMs: 1000 })).status > 0) return port;
    } catch {
      // not up yet
    }
    if (!p.running) throw new Error(`opentracker exited: ${p.stderr}`);
    if (Date.now() > deadline) throw new Error(`opentracker did not come up on ${port}: ${p.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function announcer(t: TestContext, url: string, port: number, left: number, udp?: UdpTrackerClient, infoHash = HASH): Announcer {
  const a = new Announcer({
    infoHash,
    peerId: Buffer.from(`-SW0001-${String(port).padStart(12, '0')}`),
    port,
    tiers: [[url]],
    stats: () => ({ uploaded: 0, downloaded: 0, left }),
    announceTimeoutMs: 10_000,
    ...(udp ? { udp } : {}),
  });
  t.after(() => a.stop(1000));
  return a;
}

function nextEvent<T>(a: Announcer, name: string, ms = 15_000, match: (v: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} event within ${ms} ms: ${JSON.stringify(a.status())}`)), ms);
    const on = (v: T) => {
      if (!match(v)) return;
      clearTimeout(timer);
      a.off(name, on);
      resolve(v);
    };
    a.on(name, on);
  });
}

async function getsPeersFrom(t: TestContext, url: string, udp?: UdpTrackerClient): Promise<void> {
  const seeder = announcer(t, url, 40001, 0, udp);
  const leecher = announcer(t, url, 40002, 1000, udp);
  const seederAnswered = nextEvent<PeerFromTracker[]>(seeder, 'peers', 15_000).catch(() => undefined);
  seeder.start();
  // opentracker hands the announcing peer back to itself, so even the first one gets a list
  await seederAnswered;
  const peers = nextEvent<PeerFromTracker[]>(leecher, 'peers', 15_000, (ps) => ps.some((p) => p.port === 40001));
  leecher.start();
  const got = await peers;
  const seed = got.find((p) => p.port === 40001)!;
  assert.deepEqual(seed, { host: '127.0.0.1', port: 40001, source: 'tracker', tracker: url });
  assert.equal(leecher.status()[0]!.ok, true);

  const before = await scrape([[url]], HASH, { timeoutMs: 10_000, ...(udp ? { udp } : {}) });
  assert.deepEqual(before.map((s) => [s.url, s.complete, s.incomplete, s.error]), [[url, 1, 1, undefined]]);
  // stopped reaches the tracker: both peers are gone from its counts
  await Promise.all([seeder.stop(5000), leecher.stop(5000)]);
  const after = await scrape([[url]], HASH, { timeoutMs: 10_000, ...(udp ? { udp } : {}) });
  assert.deepEqual(after.map((s) => [s.complete, s.incomplete]), [[0, 0]]);

  // a torrent opentracker does not serve: a clear tracker error, not an exception. Over
  // UDP opentracker answers such an announce with a bare 8-byte header, which we report
  // as a malformed answer.
  const stranger = announcer(t, url, 40003, 5, udp, NOT_LISTED);
  const err = nextEvent<{ url: string; message: string }>(stranger, 'tracker-error');
  stranger.start();
  const e = await err;
  assert.equal(e.url, url);
  assert.match(e.message, udp ? /^UDP announce answer is shorter than 20 bytes$/ : /^tracker refused: Requested download is not authorized/);
}

test('our announcer gets peers from opentracker over HTTP', async (t) => {
  if (!needClient(t, haveCommand('opentracker'), 'opentracker')) return;
  const port = await startOpentracker(t);
  await getsPeersFrom(t, `http://127.0.0.1:${port}/announce`);
});

test('our announcer gets peers from opentracker over UDP (one shared socket)', async (t) => {
  if (!needClient(t, haveCommand('opentracker'), 'opentracker')) return;
  const port = await startOpentracker(t);
  const udp = new UdpTrackerClient({ baseTimeoutMs: 2000 });
  t.after(() => udp.close());
  await getsPeersFrom(t, `udp://127.0.0.1:${port}/announce`, udp);
});
