import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PiecePicker } from '../../../src/torrent/picker.js';
import { all, layoutOf, seeded } from './picker-helpers.js';

/**
 * Extents: rarest first chooses where to go, then a peer takes the equally rare pieces of
 * that 4 MiB extent in order, so pieces arrive as runs adjacent on disk.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** Every piece one peer gets, one pick at a time, each delivered and verified at once. */
function drain(p: PiecePicker, peer: number, has: (i: number) => boolean, per = 1): number[] {
  const picks: number[] = [];
  for (;;) {
    const got = p.next(peer, has, per, 0);
    if (got.length === 0) return picks;
    for (const r of got) {
      picks.push(r.index);
      if (p.received(peer, r.index, r.begin, r.length).pieceDone) p.verified(r.index);
    }
  }
}

/** One pick for `peer` among the pieces in `has`, delivered and verified at once; returns the piece. */
function taker(p: PiecePicker, peer: number, has: Set<number>): () => number {
  return () => {
    const [r] = p.next(peer, (i) => has.has(i), 1, 0);
    assert.ok(r);
    assert.ok(p.received(peer, r.index, r.begin, r.length).pieceDone);
    p.verified(r.index);
    return r.index;
  };
}

/** Lengths of the runs of consecutive indices in `picks`. */
function runs(picks: number[]): number[] {
  const out: number[] = [];
  let n = 1;
  for (let k = 1; k <= picks.length; k++) {
    if (k < picks.length && picks[k] === picks[k - 1]! + 1) n++;
    else {
      out.push(n);
      n = 1;
    }
  }
  return out;
}

test('16 KiB pieces from a seed: after the first random ones, whole 4 MiB extents in order', () => {
  const layout = layoutOf(128 * MiB, 16 * KiB); // 8192 pieces, 256 per extent
  const p = new PiecePicker(layout, { random: seeded(21), initialRandomPieces: 4 });
  p.addPeer(1, 'all');
  const picks = drain(p, 1, all, 37);
  assert.equal(picks.length, 8192);
  assert.equal(new Set(picks).size, 8192, 'every piece once');
  const rest = picks.slice(4);
  // the random first four may have cut a few extents; every other extent comes whole
  const whole = runs(rest).filter((n) => n === 256).length;
  assert.ok(whole >= 32 - 8, `${whole} extents of 256 came as one run`);
  for (let k = 0; k < rest.length; k++) {
    if (rest[k]! % 256 === 0) continue;
    const prev = rest[k - 1];
    assert.ok(prev === rest[k]! - 1 || picks.slice(0, 4 + k).includes(rest[k]! - 1), `piece ${rest[k]} follows its neighbour`);
  }
  // extents themselves come in no fixed order: rarest first with random ties
  const starts = rest.filter((i) => i % 256 === 0);
  assert.notDeepEqual(starts, [...starts].sort((a, b) => a - b));
});

test('pieces of 1 MiB come four at a time (one 4 MiB extent, one write), extents at random', () => {
  const layout = layoutOf(256 * MiB, MiB);
  const p = new PiecePicker(layout, { random: seeded(22), initialRandomPieces: 0 });
  p.addPeer(1, 'all');
  const picks = [...new Set(drain(p, 1, all, 1))]; // blocks in, pieces in order of their first block
  assert.equal(picks.length, 256);
  // every extent whole and in order (two extents picked one after the other may join up)
  for (let k = 0; k < 256; k += 4) assert.deepEqual(picks.slice(k, k + 4), [0, 1, 2, 3].map((d) => picks[k]! + d));
  assert.ok(runs(picks).every((n) => n % 4 === 0));
  const starts = picks.filter((i) => i % 4 === 0);
  assert.notDeepEqual(starts, [...starts].sort((a, b) => a - b));
});

test('pieces of 4 MiB are picked one by one, at random', () => {
  const layout = layoutOf(512 * MiB, 4 * MiB);
  const p = new PiecePicker(layout, { random: seeded(22) });
  p.addPeer(1, 'all');
  const picks = [...new Set(drain(p, 1, all, 1))];
  assert.equal(picks.length, 128);
  const adjacent = picks.filter((x, k) => k > 0 && x === picks[k - 1]! + 1).length;
  assert.ok(adjacent < 12, `${adjacent} picks followed their neighbour`);
});

test('extentBytes 0 turns runs off', () => {
  const layout = layoutOf(16 * MiB, 16 * KiB);
  const p = new PiecePicker(layout, { random: seeded(23), extentBytes: 0 });
  p.addPeer(1, 'all');
  const picks = drain(p, 1, all, 8);
  const adjacent = picks.filter((x, k) => k > 0 && x === picks[k - 1]! + 1).length;
  assert.ok(adjacent < 40, `${adjacent} of ${picks.length} picks followed their neighbour`);
});

test('within an extent only equally rare pieces; a rarer piece announced meanwhile comes first', () => {
  const layout = layoutOf(64 * MiB, 16 * KiB); // 4096 pieces
  const p = new PiecePicker(layout, { random: seeded(24), initialRandomPieces: 0, extentBytes: MiB }); // 64 per extent
  // peer 1 has everything but 4000; peer 2 has extent 0 only, where pieces 10..19 are
  // also with peer 3: those are more common than the rest of the extent
  p.addPeer(1, [...Array(4096).keys()].filter((i) => i !== 4000));
  const mine = [...Array(64).keys()];
  p.addPeer(2, mine);
  p.addPeer(3, [...Array(10).keys()].map((k) => 10 + k));
  const has = new Set(mine);
  const take = taker(p, 2, has);
  const first = [take(), take(), take()];
  assert.deepEqual(first, [0, 1, 2], 'the extent from its start');
  for (let k = 3; k < 10; k++) take();
  assert.equal(take(), 20, 'pieces 10..19 have a copy more: skipped while rarer ones remain');
  // 4000 is with nobody else: once peer 2 has it, it is rarer than the rest of its extent
  has.add(4000);
  p.peerHave(2, 4000);
  assert.equal(take(), 4000);
  assert.equal(take(), 21, 'then back to the extent');
});

test('a peer leaving can make another extent rarer: the extent in progress gives way', () => {
  const layout = layoutOf(64 * MiB, 16 * KiB); // extent A = pieces 0..63, B = 64..127
  const p = new PiecePicker(layout, { random: seeded(25), initialRandomPieces: 0, extentBytes: MiB });
  const A = [...Array(64).keys()];
  const B = A.map((i) => 64 + i);
  p.addPeer(2, A); // Q
  p.addPeer(3, B); // X
  p.addPeer(1, A); // P, the peer we pick for
  const has = new Set(A);
  const take = taker(p, 1, has);
  assert.deepEqual([take(), take(), take()], [0, 1, 2]);
  for (const i of B) {
    has.add(i);
    p.peerHave(1, i); // B: 2 copies now, as many as A: no reason to leave A
  }
  assert.equal(take(), 3);
  p.removePeer(3); // B down to 1 copy: rarer than A
  assert.deepEqual([take(), take()], [64, 65]);
});
