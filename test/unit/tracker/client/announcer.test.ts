import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Announcer, type AnnouncerOptions, type PeerFromTracker } from '../../../../src/tracker/client/announcer.js';
import type { AnnounceParams, AnnounceResponse } from '../../../../src/tracker/protocol/types.js';
import { TrackerError } from '../../../../src/util/errors.js';
import { FakeClock, settle } from '../fake-clock.js';

type Behaviour = (p: AnnounceParams, signal: AbortSignal) => Promise<AnnounceResponse> | AnnounceResponse;

interface Call {
  url: string;
  event: string | undefined;
  at: number;
  params: AnnounceParams;
}

/** Fake trackers by URL, and the record of who was asked what, when. */
function harness(behaviours: Record<string, Behaviour>, opts: Partial<AnnouncerOptions> = {}) {
  const clock = new FakeClock();
  const calls: Call[] = [];
  const t0 = clock.now();
  const events: { peers: PeerFromTracker[][]; errors: Array<{ url: string; message: string }>; warnings: Array<{ url: string; message: string }> } = {
    peers: [],
    errors: [],
    warnings: [],
  };
  const a = new Announcer({
    infoHash: Buffer.alloc(20, 1),
    peerId: Buffer.alloc(20, 2),
    port: 6881,
    tiers: [Object.keys(behaviours)],
    stats: () => ({ uploaded: 1, downloaded: 2, left: 3 }),
    clock,
    random: () => 0.999, // keeps the given order (Fisher-Yates with j = i)
    intervals: { floorMs: 1000 },
    transport: async (url, params, signal) => {
      calls.push({ url, event: params.event, at: (clock.now() - t0) / 1000, params });
      return behaviours[url]!(params, signal);
    },
    ...opts,
  });
  a.on('peers', (p: PeerFromTracker[]) => events.peers.push(p));
  a.on('tracker-error', (e: { url: string; message: string }) => events.errors.push(e));
  a.on('warning', (e: { url: string; message: string }) => events.warnings.push(e));
  return { a, clock, calls, events };
}

const ok = (interval = 100, extra: Partial<AnnounceResponse> = {}): Behaviour => () => ({ interval, peers: [{ host: '10.0.0.1', port: 1 }], ...extra });
const down: Behaviour = () => {
  throw new TrackerError('NETWORK', 'connection refused');
};
const refuses: Behaviour = () => {
  throw new TrackerError('FAILURE', 'tracker refused: unregistered torrent');
};
const hangs = (_p: AnnounceParams, signal: AbortSignal): Promise<AnnounceResponse> => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

test('started first, then re-announces on the interval, with every parameter', async () => {
  const { a, clock, calls, events } = harness({ 'http://t1/announce': ok(100) }, { numwant: 33 });
  a.start();
  await clock.advance(0);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.event, 'started');
  const p = calls[0]!.params;
  assert.deepEqual([p.port, p.uploaded, p.downloaded, p.left, p.numwant], [6881, 1, 2, 3, 33]);
  assert.equal(typeof p.key, 'number');
  assert.deepEqual(events.peers, [[{ host: '10.0.0.1', port: 1, source: 'tracker', tracker: 'http://t1/announce' }]]);
  await clock.advance(99_000);
  assert.equal(calls.length, 1, 'nothing before the interval');
  await clock.advance(1_000);
  assert.equal(calls.length, 2);
  assert.equal(calls[1]!.event, undefined, 'a regular announce has no event');
  assert.equal(calls[1]!.params.key, p.key, 'the key stays the same');
  await clock.advance(300_000);
  assert.deepEqual(calls.map((c) => c.at), [0, 100, 200, 300, 400]);
  assert.deepEqual(a.status(), [{ url: 'http://t1/announce', ok: true, peers: 1, nextAnnounceInMs: 100_000 }]);
  await a.stop();
});

test('BEP 12: a tier is tried in order and the tracker that answered moves to its front', async () => {
  let bUp = true;
  const { a, clock, calls } = harness({
    'http://a/announce': down,
    'http://b/announce': (p, s) => (bUp ? ok(100)(p, s) : down(p, s)),
    'http://c/announce': ok(100),
  });
  a.start();
  await clock.advance(0);
  assert.deepEqual(calls.map((c) => c.url), ['http://a/announce', 'http://b/announce'], 'a fails, b answers, c is not asked');
  assert.deepEqual(a.status().map((s) => s.url), ['http://b/announce', 'http://a/announce', 'http://c/announce'], 'b moved to the front');
  assert.equal(a.status()[1]!.lastError, 'connection refused');
  calls.length = 0;
  bUp = false;
  await clock.advance(100_000);
  // b first now; a is still in its backoff (15 s passed long ago, so it is tried again), then c
  assert.deepEqual(calls.map((c) => c.url), ['http://b/announce', 'http://a/announce', 'http://c/announce']);
  assert.equal(calls[2]!.event, 'started', 'a tracker that never answered gets started');
  assert.equal(calls[0]!.event, undefined);
  assert.deepEqual(a.status().map((s) => s.url), ['http://c/announce', 'http://b/announce', 'http://a/announce']);
  await a.stop();
});

test('BEP 12: the next tier is used only when a whole tier failed', async () => {
  const clock = new FakeClock();
  const calls: string[] = [];
  const a = new Announcer({
    infoHash: Buffer.alloc(20),
    peerId: Buffer.alloc(20),
    port: 1,
    tiers: [['http://a1/announce', 'http://a2/announce'], ['http://b1/announce'], ['http://c1/announce']],
    stats: () => ({ uploaded: 0, downloaded: 0, left: 0 }),
    clock,
    transport: async (url) => {
      calls.push(url);
      if (url.includes('//a')) throw new TrackerError('NETWORK', 'down');
      return { interval: 60, peers: [] };
    },
  });
  a.on('tracker-error', () => {});
  a.start();
  await clock.advance(0);
  assert.deepEqual(calls.slice(2), ['http://b1/announce']);
  assert.deepEqual([...calls.slice(0, 2)].sort(), ['http://a1/announce', 'http://a2/announce']);
  await a.stop();
});

test('a dead tracker is backed off (15, 30, 60 s ...), not hammered', async () => {
  const { a, clock, calls, events } = harness({ 'udp://dead:1/announce': down });
  a.start();
  await clock.advance(3600_000);
  const times = calls.map((c) => c.at);
  assert.deepEqual(times.slice(0, 6), [0, 15, 45, 105, 225, 465]);
  assert.ok(calls.length <= 10, `${calls.length} tries in an hour`);
  assert.equal(events.errors.length, calls.length, 'one tracker-error per failed try');
  assert.ok(calls.every((c) => c.event === 'started'));
  const st = a.status()[0]!;
  assert.equal(st.ok, false);
  assert.ok(st.nextAnnounceInMs! > 0);
  await a.stop();
});

test('a failure reason is a clear error and backs off for minutes, not seconds', async () => {
  const { a, clock, calls, events } = harness({ 'http://t/announce': refuses });
  a.start();
  await clock.advance(3600_000);
  assert.deepEqual(calls.map((c) => c.at), [0, 300, 900, 2100]);
  assert.equal(events.errors[0]!.message, 'tracker refused: unregistered torrent');
  await a.stop();
});

test('a hanging tracker times out and the next one is tried', async () => {
  const { a, clock, calls } = harness({ 'udp://slow:1/announce': hangs, 'http://t/announce': ok(100) }, { announceTimeoutMs: 20_000 });
  a.on('tracker-error', () => {});
  a.start();
  await clock.advance(19_000);
  assert.equal(calls.length, 1);
  await clock.advance(1_000);
  assert.equal(calls.length, 2);
  assert.equal(a.status()[1]!.lastError, 'no answer within 20 s');
  await a.stop();
});

test('update() respects min interval; completed goes out once and at once', async () => {
  const { a, clock, calls } = harness({ 'http://t/announce': ok(1000, { minInterval: 30 }) });
  a.update(); // before start: nothing
  a.start();
  await clock.advance(0);
  a.update();
  a.update();
  await clock.advance(29_000);
  assert.equal(calls.length, 1, 'no extra announce before min interval');
  await clock.advance(1_000);
  assert.equal(calls.length, 2, 'one announce at min interval however many update() calls');
  await clock.advance(5_000);
  a.completed();
  a.completed();
  await clock.advance(0);
  assert.deepEqual(calls.map((c) => c.event), ['started', undefined, 'completed']);
  await clock.advance(2000_000);
  assert.equal(calls.filter((c) => c.event === 'completed').length, 1);
  await a.stop();
});

test('stop() sends stopped only to trackers that answered, and never hangs', async () => {
  const seen: string[] = [];
  let hang = false;
  const { a, clock } = harness({
    'http://dead/announce': down,
    'http://t/announce': (p, s) => {
      seen.push(p.event ?? 'none');
      return hang ? hangs(p, s) : ok(100)(p, s);
    },
  });
  a.on('tracker-error', () => {});
  a.start();
  await clock.advance(0);
  hang = true;
  const done = a.stop(2000);
  let finished = false;
  void done.then(() => (finished = true));
  await clock.advance(1999);
  assert.equal(finished, false);
  await clock.advance(1);
  assert.equal(finished, true, 'stop resolved at its timeout though the tracker never answered');
  assert.deepEqual(seen, ['started', 'stopped']);
  await a.stop(); // twice is fine
  assert.equal(clock.pending, 0, 'no timers left behind');
});

test('stop() with a real clock resolves quickly against a tracker that never answers', async () => {
  let calls = 0;
  const a = new Announcer({
    infoHash: Buffer.alloc(20),
    peerId: Buffer.alloc(20),
    port: 1,
    tiers: [['http://t/announce']],
    stats: () => ({ uploaded: 0, downloaded: 0, left: 0 }),
    transport: (_u, p, signal) => {
      calls++;
      return p.event === 'stopped' ? hangs(p, signal) : Promise.resolve({ interval: 100, peers: [] });
    },
  });
  a.start();
  for (let i = 0; i < 50 && calls === 0; i++) await new Promise((r) => setTimeout(r, 5));
  await settle();
  const t0 = Date.now();
  await a.stop(150);
  assert.ok(Date.now() - t0 < 1000);
  assert.equal(calls, 2);
});

test('warnings, unsupported addresses and throwing listeners are events, never exceptions', async () => {
  const { a, clock, events } = harness({ 'http://t/announce': ok(100, { warning: 'be nice' }), 'wss://t/announce': ok(1) });
  a.on('peers', () => {
    throw new Error('listener bug');
  });
  a.start();
  await clock.advance(0);
  assert.deepEqual(events.warnings, [{ url: 'http://t/announce', message: 'be nice' }]);
  assert.deepEqual(events.errors, [{ url: 'wss://t/announce', message: 'unsupported tracker address' }]);
  assert.equal(events.peers.length, 1);
  await clock.advance(100_000);
  assert.equal(events.peers.length, 2, 'the loop went on after the listener threw');
  await a.stop();
});

test('stats() that throws is a tracker error, not a crash; tracker id is sent back', async () => {
  let broken = true;
  const calls: AnnounceParams[] = [];
  const clock = new FakeClock();
  const a = new Announcer({
    infoHash: Buffer.alloc(20),
    peerId: Buffer.alloc(20),
    port: 1,
    tiers: [['http://t/announce']],
    clock,
    stats: () => {
      if (broken) throw new Error('no stats');
      return { uploaded: 0, downloaded: 0, left: 0 };
    },
    transport: async (_u, p) => {
      calls.push(p);
      return { interval: 100, peers: [], trackerId: Buffer.from('tid-7') };
    },
  });
  const errors: string[] = [];
  a.on('tracker-error', (e: { message: string }) => errors.push(e.message));
  a.start();
  await clock.advance(0);
  assert.deepEqual(errors, ['cannot read transfer stats: no stats']);
  broken = false;
  await clock.advance(15_000);
  await clock.advance(100_000);
  assert.equal(calls.length, 2);
  assert.equal(calls[0]!.trackerId, undefined);
  assert.deepEqual(calls[1]!.trackerId, Buffer.from('tid-7'));
  await a.stop();
});

test('a tracker with a silly interval cannot make us announce more than the floor allows', async () => {
  const { a, clock, calls } = harness({ 'http://t/announce': ok(0) }, { intervals: {} });
  a.start();
  await clock.advance(60_000);
  assert.deepEqual(calls.map((c) => c.at), [0, 15, 30, 45, 60]);
  await a.stop();
});

test('only unsupported trackers: one error each, then no timer and no spinning', async () => {
  let calls = 0;
  const clock = new FakeClock();
  const a = new Announcer({
    infoHash: Buffer.alloc(20),
    peerId: Buffer.alloc(20),
    port: 1,
    tiers: [['wss://t/announce'], ['not a url']],
    stats: () => ({ uploaded: 0, downloaded: 0, left: 0 }),
    clock,
    transport: async () => {
      calls++;
      return { peers: [] };
    },
  });
  const errors: string[] = [];
  a.on('tracker-error', (e: { url: string }) => errors.push(e.url));
  a.start();
  await clock.advance(0);
  a.update();
  await clock.advance(3600_000);
  assert.equal(calls, 0);
  assert.deepEqual(errors, ['wss://t/announce', 'not a url']);
  assert.equal(clock.pending, 0, 'no timer is left waiting for nothing');
  assert.deepEqual(a.status().map((s) => [s.ok, s.lastError, s.nextAnnounceInMs]), [
    [false, 'unsupported tracker address', undefined],
    [false, 'unsupported tracker address', undefined],
  ]);
  await a.stop();
});

test('a stop right after completed() still sends completed, then stopped', async () => {
  // the completed announce is held up, as when the process stops the moment the download ends
  let slow = false;
  const { a, clock, calls } = harness({
    'http://t1/announce': (p, signal) => (slow && p.event === 'completed' ? hangs(p, signal) : ok(100)(p, signal)),
  });
  a.start();
  await clock.advance(0);
  await settle();
  slow = true;
  a.completed();
  await clock.advance(0);
  await settle();
  slow = false;
  const stopping = a.stop(3000);
  await clock.advance(0);
  await settle();
  await clock.advance(0);
  await stopping;
  assert.deepEqual(
    calls.map((c) => c.event),
    ['started', 'completed', 'completed', 'stopped'],
  );
});
