import assert from 'node:assert/strict';
import { test } from 'node:test';
import { choke, type ChokePeer } from '../../../src/torrent/choker.js';
import { seeded } from './picker-helpers.js';

const OLD = -1_000_000; // connected long ago: not "new"

function peer(key: number, down: number, up = 0, more: Partial<ChokePeer> = {}): ChokePeer {
  return { key, interested: true, downloadRate: down, uploadRate: up, snubbed: false, connectedAt: OLD, ...more };
}

const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);

test('downloading: the 4 interested peers that give us most, plus one optimistic', () => {
  const peers = [peer(1, 10), peer(2, 50), peer(3, 40), peer(4, 30), peer(5, 20), peer(6, 5)];
  const r = choke(peers, { slots: 4, seeding: false, now: 0, random: () => 0 });
  // regular: 2, 3, 4, 5; optimistic drawn from the choked interested ones: 1 or 6
  assert.ok([1, 6].includes(r.optimistic!));
  assert.deepEqual(sorted(r.unchoke), sorted(new Set([2, 3, 4, 5, r.optimistic!])));
  assert.equal(r.optimisticSince, 0);
});

test('seeding ranks by what we give them, and ignores snubbing', () => {
  const peers = [peer(1, 100, 1, { snubbed: true }), peer(2, 0, 9), peer(3, 0, 5), peer(4, 0, 7)];
  const r = choke(peers, { slots: 2, seeding: true, now: 0, random: () => 0 });
  assert.ok(r.unchoke.has(2) && r.unchoke.has(4));
  assert.equal(r.unchoke.size, 3);
  assert.ok(r.optimistic === 1 || r.optimistic === 3);
});

test('uninterested peers get no slot; snubbed ones lose theirs but may be the optimistic one', () => {
  const peers = [peer(1, 99, 0, { interested: false }), peer(2, 80, 0, { snubbed: true }), peer(3, 1), peer(4, 2)];
  const r = choke(peers, { slots: 2, seeding: false, now: 0, random: () => 0 });
  assert.ok(r.unchoke.has(3) && r.unchoke.has(4));
  assert.ok(!r.unchoke.has(1));
  assert.equal(r.optimistic, 2, 'the only interested choked peer');
  assert.ok(r.unchoke.has(2));
});

test('the optimistic unchoke holds for 30 s, then rotates to someone else', () => {
  const peers = [peer(1, 9), peer(2, 0), peer(3, 0), peer(4, 0)];
  const opts = { slots: 1, seeding: false, random: seeded(3) };
  const first = choke(peers, { ...opts, now: 0 });
  const o = first.optimistic!;
  assert.notEqual(o, 1);
  for (const now of [10_000, 20_000, 29_999]) {
    const r = choke(peers, { ...opts, now, optimisticPeer: o, optimisticSince: first.optimisticSince });
    assert.equal(r.optimistic, o);
    assert.equal(r.optimisticSince, 0);
    assert.ok(r.unchoke.has(o));
  }
  const rotated = choke(peers, { ...opts, now: 30_000, optimisticPeer: o, optimisticSince: 0 });
  assert.notEqual(rotated.optimistic, o);
  assert.notEqual(rotated.optimistic, 1);
  assert.equal(rotated.optimisticSince, 30_000);
  assert.ok(!rotated.unchoke.has(o));
});

test('an optimistic peer that lost interest or left is replaced at once', () => {
  const peers = [peer(1, 9), peer(2, 0, 0, { interested: false }), peer(3, 0)];
  const r = choke(peers, { slots: 1, seeding: false, now: 5_000, optimisticPeer: 2, optimisticSince: 0, random: () => 0 });
  assert.equal(r.optimistic, 3);
  const gone = choke([peer(1, 9), peer(3, 0)], { slots: 1, seeding: false, now: 5_000, optimisticPeer: 7, optimisticSince: 0 });
  assert.equal(gone.optimistic, 3);
});

test('an optimistic peer that earned a regular slot frees the optimistic one', () => {
  const peers = [peer(1, 1), peer(2, 50), peer(3, 0)];
  const r = choke(peers, { slots: 1, seeding: false, now: 5_000, optimisticPeer: 2, optimisticSince: 0, random: () => 0 });
  assert.ok(r.unchoke.has(2));
  assert.equal(r.optimistic !== 2, true);
  assert.equal(r.unchoke.size, 2);
});

test('new peers are 3x as likely to get the optimistic slot', () => {
  const now = 1_000_000;
  const peers = [peer(9, 100), peer(1, 0, 0, { connectedAt: now - 10_000 }), peer(2, 0), peer(3, 0)];
  const random = seeded(42);
  const counts = new Map<number, number>();
  const rounds = 6000;
  for (let i = 0; i < rounds; i++) {
    const r = choke(peers, { slots: 1, seeding: false, now, random });
    counts.set(r.optimistic!, (counts.get(r.optimistic!) ?? 0) + 1);
  }
  // weights 3:1:1 -> 60% / 20% / 20%
  const share = (k: number) => (counts.get(k) ?? 0) / rounds;
  assert.ok(Math.abs(share(1) - 0.6) < 0.03, `new peer share ${share(1)}`);
  assert.ok(Math.abs(share(2) - 0.2) < 0.03, `old peer share ${share(2)}`);
  assert.equal(counts.get(9), undefined, 'a regular is never the optimistic one');
});

test('nobody interested: nobody unchoked', () => {
  const r = choke([peer(1, 5, 0, { interested: false })], { slots: 4, seeding: false, now: 0 });
  assert.equal(r.unchoke.size, 0);
  assert.equal(r.optimistic, undefined);
});

test('fewer interested peers than slots: all unchoked, no optimistic needed', () => {
  const r = choke([peer(1, 5), peer(2, 0)], { seeding: false, now: 0 });
  assert.deepEqual(sorted(r.unchoke), [1, 2]);
  assert.equal(r.optimistic, undefined);
});

test('equal rates: the longer-connected peer keeps the slot (no flapping)', () => {
  const peers = [peer(2, 10, 0, { connectedAt: 500 }), peer(1, 10, 0, { connectedAt: 100 })];
  const r = choke(peers, { slots: 1, seeding: false, now: 1_000_000, random: () => 0.99 });
  assert.ok(r.unchoke.has(1));
  assert.equal(r.optimistic, 2);
});
