import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { PieceLayout } from '../../../src/metainfo/layout.js';
import { PiecePicker, type PeerKey } from '../../../src/torrent/picker.js';
import { layoutOf, seeded } from './picker-helpers.js';

/**
 * A model of what the picker should know, kept by the test from the calls it makes and
 * the answers it gets, and compared with the picker after every step.
 */
class Model {
  readonly picker: PiecePicker;
  readonly perPiece: number;
  readonly wanted: boolean[];
  readonly have = new Set<number>();
  readonly peers = new Map<PeerKey, { has: Set<number>; bad: boolean }>();
  /** Blocks in flight per peer (block id = index * perPiece + block). */
  readonly inflight = new Map<PeerKey, Set<number>>();
  /** Per started piece, block -> the peer that delivered it. */
  readonly got = new Map<number, Map<number, PeerKey>>();
  nextKey = 1;
  failures = 0;
  duplicates = 0;

  constructor(
    readonly layout: PieceLayout,
    wantedMask: boolean[],
    haveMask: boolean[],
    seed: number,
  ) {
    this.wanted = [...Array(layout.pieceCount).keys()].map((i) => wantedMask[i] ?? true);
    this.picker = new PiecePicker(layout, { wanted: (i) => this.wanted[i]!, random: seeded(seed), initialRandomPieces: seed % 3 });
    this.perPiece = Math.ceil(layout.pieceLength / layout.blockLength);
    for (let i = 0; i < layout.pieceCount; i++) {
      if (haveMask[i]) {
        this.picker.setHave(i);
        this.have.add(i);
      }
    }
  }

  addPeer(has: number[] | 'all', bad: boolean): PeerKey {
    const key = this.nextKey++;
    const n = this.layout.pieceCount;
    const set = new Set(has === 'all' ? [...Array(n).keys()] : has.filter((i) => i < n));
    this.picker.addPeer(key, has === 'all' ? 'all' : [...set]);
    this.peers.set(key, { has: set, bad });
    this.inflight.set(key, new Set());
    return key;
  }

  removePeer(key: PeerKey): void {
    this.picker.removePeer(key);
    this.peers.delete(key);
    this.inflight.delete(key);
  }

  requesters(id: number): PeerKey[] {
    const out: PeerKey[] = [];
    for (const [k, s] of this.inflight) if (s.has(id)) out.push(k);
    return out;
  }

  next(key: PeerKey, max: number, now: number): void {
    const { has } = this.peers.get(key)!;
    const mine = this.inflight.get(key)!;
    const got = this.picker.next(key, (i) => has.has(i), max, now);
    assert.ok(got.length <= max);
    for (const r of got) {
      assert.ok(this.layout.isBlock(r.index, r.begin, r.length), `not a block: ${JSON.stringify(r)}`);
      const id = r.index * this.perPiece + r.begin / this.layout.blockLength;
      assert.ok(!this.have.has(r.index), `asked for piece ${r.index}, which we have`);
      assert.ok(this.wanted[r.index], `asked for unwanted piece ${r.index}`);
      assert.ok(has.has(r.index), `asked peer ${key} for piece ${r.index} it lacks`);
      assert.ok(!mine.has(id), `asked peer ${key} twice for ${r.index}:${r.begin}`);
      assert.ok(!this.got.get(r.index)?.has(r.begin), `asked for ${r.index}:${r.begin}, already here`);
      mine.add(id);
      const n = this.requesters(id).length;
      assert.ok(n <= 3, 'at most 2 duplicate requests');
      if (n > 1) this.duplicates++;
    }
  }

  deliver(key: PeerKey, id: number): void {
    const index = Math.floor(id / this.perPiece);
    const b = id - index * this.perPiece;
    const begin = b * this.layout.blockLength;
    const length = this.layout.blockSize(index, b);
    const others = this.requesters(id).filter((k) => k !== key);
    const res = this.picker.received(key, index, begin, length);
    assert.ok(res.accepted, `block ${index}:${begin} in flight from ${key} was refused`);
    assert.deepEqual(res.cancel.map((c) => c.peer).sort(), others.sort());
    for (const c of res.cancel) assert.deepEqual([c.index, c.begin, c.length], [index, begin, length]);
    for (const k of [key, ...others]) this.inflight.get(k)!.delete(id);
    let blocks = this.got.get(index);
    if (!blocks) this.got.set(index, (blocks = new Map()));
    blocks.set(begin, key);
    const complete = blocks.size === this.layout.blockCount(index);
    assert.equal(res.pieceDone, complete);
    if (!complete) return;
    assert.equal(this.picker.state(index), 'verifying');
    const from = new Set(blocks.values());
    this.got.delete(index);
    if ([...from].some((k) => this.peers.get(k)?.bad)) {
      assert.deepEqual(this.picker.failed(index).sort(), [...from].sort());
      this.failures++;
    } else {
      this.picker.verified(index);
      this.have.add(index);
    }
  }

  /** A block this peer has no request for: refused, and nothing changes. */
  deliverStale(key: PeerKey, index: number, b: number): void {
    if (index >= this.layout.pieceCount || b >= this.layout.blockCount(index)) return;
    const id = index * this.perPiece + b;
    if (this.inflight.get(key)?.has(id)) return;
    const res = this.picker.received(key, index, b * this.layout.blockLength, this.layout.blockSize(index, b));
    assert.deepEqual(res, { accepted: false, pieceDone: false, cancel: [] });
  }

  cancel(key: PeerKey, id: number): void {
    const index = Math.floor(id / this.perPiece);
    const begin = (id - index * this.perPiece) * this.layout.blockLength;
    assert.ok(this.picker.cancelled(key, index, begin));
    this.inflight.get(key)!.delete(id);
  }

  /** The caller throws a piece away (failed), or finds it complete elsewhere (setHave). */
  reset(index: number, toHave: boolean): void {
    const from = new Set(this.got.get(index)?.values() ?? []);
    if (toHave) {
      this.picker.setHave(index);
      this.have.add(index);
    } else {
      assert.deepEqual(this.picker.failed(index).sort(), [...from].sort());
      this.have.delete(index);
    }
    this.got.delete(index);
    for (const s of this.inflight.values()) {
      for (const id of s) if (Math.floor(id / this.perPiece) === index) s.delete(id);
    }
  }

  inFlightList(): Array<[PeerKey, number]> {
    const out: Array<[PeerKey, number]> = [];
    for (const [k, s] of this.inflight) for (const id of s) out.push([k, id]);
    return out;
  }

  check(): void {
    const p = this.picker;
    const n = this.layout.pieceCount;
    let left = 0;
    let missing = 0;
    let free = 0;
    const requested = new Set(this.inFlightList().map(([, id]) => id));
    for (let i = 0; i < n; i++) {
      assert.equal(p.have(i), this.have.has(i), `have(${i})`);
      let copies = 0;
      for (const { has } of this.peers.values()) if (has.has(i)) copies++;
      assert.equal(p.availability(i), copies, `availability(${i})`);
      const blocks = this.layout.blockCount(i);
      let busy = 0;
      for (let b = 0; b < blocks; b++) {
        const taken = requested.has(i * this.perPiece + b) || this.got.get(i)?.has(b * this.layout.blockLength);
        if (taken) busy++;
      }
      const expected = this.have.has(i) ? 'have' : busy > 0 ? 'partial' : this.wanted[i] ? 'wanted' : 'unwanted';
      assert.equal(p.state(i), expected, `state(${i})`);
      if (this.wanted[i] && !this.have.has(i)) {
        left += this.layout.pieceSize(i);
        missing++;
        free += blocks - busy;
      }
    }
    assert.equal(p.bytesLeft(), left);
    assert.equal(p.missingCount(), missing);
    assert.equal(p.haveCount(), this.have.size);
    assert.equal(p.isComplete(), missing === 0);
    assert.equal(p.isEndgame(), free === 0 && missing > 0, 'endgame exactly when no wanted block is free');
    for (const [k, s] of this.inflight) assert.equal(p.inFlight(k), s.size, `inFlight(${k})`);
    for (const [k, { has }] of this.peers) {
      const want = [...has].some((i) => this.wanted[i] && !this.have.has(i));
      assert.equal(p.isInteresting(k), want, `isInteresting(${k})`);
      assert.equal(p.interesting((i) => has.has(i)), want, `interesting(peer ${k})`);
    }
  }
}

const pieceSet = fc.array(fc.nat({ max: 60 }), { maxLength: 40, size: 'max' });
const op = fc.tuple(fc.nat({ max: 9 }), fc.nat({ max: 1000 }), fc.nat({ max: 1000 }), fc.nat({ max: 60 }));

const scenario = fc.record({
  total: fc.integer({ min: 1, max: 120 }),
  pieceLength: fc.integer({ min: 1, max: 16 }),
  blockLength: fc.integer({ min: 1, max: 6 }),
  wantedMask: fc.array(fc.boolean(), { maxLength: 60, size: 'max' }),
  haveMask: fc.array(fc.boolean(), { maxLength: 60, size: 'max' }),
  peers: fc.array(fc.record({ has: fc.oneof(fc.constant('all' as const), pieceSet), bad: fc.boolean() }), { minLength: 1, maxLength: 4 }),
  ops: fc.array(op, { maxLength: 300, size: 'max' }),
  seed: fc.nat(),
});

const stats = { failures: 0, duplicates: 0 };

test('random swarms: no double requests, nothing we have, consistent counts, and every wanted piece in the end', () => {
  fc.assert(
    fc.property(scenario, (s) => {
      const layout = layoutOf(s.total, s.pieceLength, s.blockLength);
      const m = new Model(layout, s.wantedMask, s.haveMask.map((h, i) => h && i % 3 === 0), s.seed);
      for (const peer of s.peers) m.addPeer(peer.has, peer.bad && peer.has !== 'all');
      m.check();
      let now = 0;
      const live = () => [...m.peers.keys()];
      for (const [kind, a, b, c] of s.ops) {
        now += 10;
        const keys = live();
        const key = keys[a % Math.max(1, keys.length)];
        const flying = m.inFlightList();
        const piece = c % layout.pieceCount;
        switch (kind) {
          case 0:
            if (key !== undefined) m.next(key, 1 + (b % 6), now);
            break;
          case 1:
          case 2:
            if (flying.length > 0) {
              const [k, id] = flying[b % flying.length]!;
              m.deliver(k, id);
            }
            break;
          case 3:
            if (flying.length > 0) {
              const [k, id] = flying[b % flying.length]!;
              m.cancel(k, id);
            }
            break;
          case 4:
            if (key !== undefined) {
              m.picker.peerHave(key, piece);
              m.peers.get(key)!.has.add(piece);
            }
            break;
          case 5:
            if (key !== undefined) m.deliverStale(key, c, b % 8);
            break;
          case 6:
            if (key !== undefined && b % 4 === 0) {
              m.removePeer(key);
              m.addPeer(c % 2 === 0 ? 'all' : [c, a % 61, b % 61], false);
            }
            break;
          case 7:
            if (b % 3 === 0) {
              m.wanted[piece] = !m.wanted[piece];
              m.picker.setWanted(piece, m.wanted[piece]!);
            }
            break;
          case 8:
          case 9:
            // mostly a piece in flight: the interesting case
            if (b % 3 === 0) {
              const target = flying.length > 0 && a % 4 !== 0 ? Math.floor(flying[a % flying.length]![1] / m.perPiece) : piece;
              m.reset(target, kind === 9);
            }
            break;
        }
        m.check();
      }

      // The end: bad peers are banned, a seed joins, and everyone works until done.
      for (const [k, peer] of m.peers) if (peer.bad) m.removePeer(k);
      m.addPeer('all', false);
      const random = seeded(s.seed + 1);
      for (let round = 0; round < 10_000 && !m.picker.isComplete(); round++) {
        for (const k of live()) m.next(k, 1 + Math.floor(random() * 4), (now += 10));
        const flying = m.inFlightList();
        for (let j = flying.length - 1; j > 0; j--) {
          const x = Math.floor(random() * (j + 1));
          [flying[j], flying[x]] = [flying[x]!, flying[j]!];
        }
        for (const [k, id] of flying) {
          if (!m.inflight.get(k)?.has(id)) continue; // cancelled by an earlier duplicate
          if (random() < 0.1) m.cancel(k, id);
          else m.deliver(k, id);
        }
        m.check();
      }
      stats.failures += m.failures;
      stats.duplicates += m.duplicates;
      assert.ok(m.picker.isComplete(), 'the download finishes');
      for (let i = 0; i < layout.pieceCount; i++) if (m.wanted[i]) assert.ok(m.picker.have(i), `piece ${i}`);
      assert.equal(m.picker.bytesLeft(), 0);
    }),
    { numRuns: 300 },
  );
  // the scenarios reach the paths that matter
  assert.ok(stats.failures > 0, 'some pieces failed their check');
  assert.ok(stats.duplicates > 0, 'some endgame duplicates were asked for');
});

test('random swarms without a seed: a piece nobody has never ends endgame, and is never asked for', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 40 }), fc.nat(), (pieces, seed) => {
      const layout = layoutOf(pieces * 4, 4, 2);
      const m = new Model(layout, [], [], seed);
      const missing = seed % pieces;
      const others = [...Array(pieces).keys()].filter((i) => i !== missing);
      m.addPeer(others, false);
      m.addPeer(others.filter((i) => i % 2 === 0), false);
      for (let round = 0; round < 100; round++) {
        for (const k of [...m.peers.keys()]) m.next(k, 3, round);
        for (const [k, id] of m.inFlightList()) if (m.inflight.get(k)!.has(id)) m.deliver(k, id);
        m.check();
      }
      assert.equal(m.picker.missingCount(), 1);
      assert.equal(m.picker.state(missing), 'wanted');
      assert.ok(!m.picker.isEndgame());
    }),
    { numRuns: 100 },
  );
});
