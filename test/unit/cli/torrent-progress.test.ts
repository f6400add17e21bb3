import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import {
  downloadStatus,
  etaSeconds,
  progressEvent,
  seedStatus,
  shareRatio,
  TorrentLive,
  trackerTrouble,
} from '../../../src/cli/torrent-progress.js';
import type { TorrentStats } from '../../../src/torrent/torrent.js';

const MiB = 1024 * 1024;

function stats(over: Partial<TorrentStats> = {}): TorrentStats {
  return {
    phase: 'downloading',
    totalBytes: 64 * MiB,
    doneBytes: 16 * MiB,
    piecesDone: 64,
    piecesTotal: 256,
    downloadedBytes: 16 * MiB,
    uploadedBytes: 0,
    wastedBytes: 0,
    failedPieces: 0,
    downRate: 8 * MiB,
    upRate: 0,
    peers: 2,
    knownPeers: 5,
    trackers: [],
    ...over,
  };
}

function sink(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

test('download status: done/total, rates, peers connected/known, ETA from the download rate', () => {
  const s = stats();
  assert.equal(etaSeconds(s), 6);
  assert.equal(downloadStatus(s), '16.0 MiB / 64.0 MiB | down 8.00 MiB/s | up 0 B/s | peers 2/5 | ETA 6s');
  assert.equal(downloadStatus(s, true), '16.0 MiB/64.0 MiB ↓8.00 MiB/s ↑0 B/s peers 2/5 ETA 6s');
  // no peer: say so instead of an ETA
  const alone = stats({ peers: 0, downRate: 0 });
  assert.equal(etaSeconds(alone), Infinity);
  assert.match(downloadStatus(alone), /\| waiting for peers \(5 known\)$/);
  assert.match(downloadStatus(stats({ peers: 0, knownPeers: 0 })), /\| waiting for peers$/);
  assert.equal(etaSeconds(stats({ doneBytes: 64 * MiB, downRate: 0 })), 0);
});

test('tracker trouble shows only when every tracker is failing', () => {
  const failing = { url: 'http://127.0.0.1:1/announce', ok: false, lastError: 'connect ECONNREFUSED 127.0.0.1:1' };
  assert.equal(trackerTrouble(stats()), undefined);
  assert.equal(trackerTrouble(stats({ trackers: [failing] })), 'tracker failing: connect ECONNREFUSED 127.0.0.1:1');
  // one still answers, or one has not been asked yet: not "failing"
  assert.equal(trackerTrouble(stats({ trackers: [failing, { url: 'udp://x:1', ok: true }] })), undefined);
  assert.equal(trackerTrouble(stats({ trackers: [failing, { url: 'udp://x:1', ok: false }] })), undefined);
  const two = trackerTrouble(stats({ trackers: [failing, { ...failing, url: 'udp://y:2', lastError: 'timeout' }] }));
  assert.match(two!, /^all 2 trackers failing: connect ECONNREFUSED/);
  const long = trackerTrouble(stats({ trackers: [{ ...failing, lastError: 'x'.repeat(200) }] }))!;
  assert.ok(long.length < 80, long);
  assert.match(downloadStatus(stats({ trackers: [failing] })), /\| tracker failing: connect ECONNREFUSED/);
});

test('seed status: peers, upload rate, uploaded total, ratio against the torrent size', () => {
  const s = stats({ phase: 'seeding', doneBytes: 64 * MiB, uploadedBytes: 96 * MiB, upRate: 3 * MiB, peers: 3 });
  assert.equal(shareRatio(s), 1.5);
  assert.equal(seedStatus(s), 'peers 3 | up 3.00 MiB/s | uploaded 96.0 MiB | ratio 1.50');
  assert.equal(seedStatus(s, true), 'peers 3 ↑3.00 MiB/s uploaded 96.0 MiB ratio 1.50');
  // --partial: how much of the torrent is served
  assert.match(seedStatus(stats({ phase: 'seeding', peers: 0 })), /^waiting for peers \| .* \| serving 25\.0%$/);
});

test('progress event: raw numbers, an ETA in seconds or null, trackers with their errors', () => {
  const e = progressEvent(stats({ trackers: [{ url: 'http://t/a', ok: false, lastError: 'boom' }] }));
  assert.equal(e.event, 'progress');
  assert.equal(e.percent, 25);
  assert.equal(e.doneBytes, 16 * MiB);
  assert.equal(e.downRate, 8 * MiB);
  assert.equal(e.eta, 6);
  assert.deepEqual(e.trackers, [{ url: 'http://t/a', ok: false, error: 'boom' }]);
  assert.equal(progressEvent(stats({ downRate: 0 })).eta, null);
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(e)));
});

test('TorrentLive --json: NDJSON events on the JSON stream, nothing on stderr', () => {
  const out = sink();
  const err = sink();
  let s = stats({ peers: 0 });
  const live = new TorrentLive({ mode: 'json', stats: () => s, stream: err.stream, jsonStream: out.stream, intervalMs: 60_000 });
  live.event('start', { name: 'x' });
  live.note('not for scripts');
  live.begin('download');
  s = stats();
  live.peersChanged();
  live.peersChanged(); // same count: no second event
  s = stats({ trackers: [{ url: 'http://t/a', ok: false, lastError: 'refused' }] });
  live.tick();
  live.tick(); // still failing: one tracker event only
  live.end();
  const events = out.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    events.map((e) => e.event),
    ['start', 'peers', 'progress', 'tracker', 'progress'],
  );
  assert.equal(events[1]!.peers, 2);
  assert.deepEqual(events[3], { event: 'tracker', url: 'http://t/a', ok: false, error: 'refused' });
  assert.equal(err.text(), '');
});

test('TorrentLive plain: notes and a final line on stderr; --quiet: nothing at all', () => {
  const err = sink();
  const s = stats();
  const live = new TorrentLive({ mode: 'plain', stats: () => s, stream: err.stream, intervalMs: 60_000 });
  live.note('swarm: hello');
  live.begin('download');
  live.end();
  assert.equal(err.text(), 'swarm: hello\n25.0% | 16.0 MiB / 64.0 MiB | down 8.00 MiB/s | up 0 B/s | peers 2/5 | ETA 6s\n');

  const q = sink();
  const quiet = new TorrentLive({ mode: 'quiet', stats: () => s, stream: q.stream, jsonStream: q.stream, intervalMs: 60_000 });
  quiet.note('x');
  quiet.event('start');
  quiet.checking(10, 100);
  quiet.begin('seed');
  quiet.tick();
  quiet.end();
  assert.equal(q.text(), '');
});
