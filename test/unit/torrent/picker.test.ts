import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PiecePicker } from '../../../src/torrent/picker.js';
import { all, fmt, hasSet, layoutOf, seeded } from './picker-helpers.js';

test('tiny layout 13 bytes / piece 5 / block 2: every block once, the short ones last', () => {
  const p = new PiecePicker(layoutOf(13, 5, 2), { random: seeded(1), initialRandomPieces: 0 });
  p.addPeer(1, 'all');
  const got = p.next(1, all, 100, 0);
  assert.deepEqual(fmt(got).sort(), ['0:0+2', '0:2+2', '0:4+1', '1:0+2', '1:2+2', '1:4+1', '2:0+2', '2:2+1'].sort());
  assert.equal(p.inFlight(1), 8);
  assert.deepEqual(p.next(1, all, 100, 0), [], 'nothing twice from the same peer');
  let done = 0;
  for (const r of got) {
    const res = p.received(1, r.index, r.begin, r.length);
    assert.ok(res.accepted);
    assert.deepEqual(res.cancel, []);
    if (res.pieceDone) {
      done++;
      assert.equal(p.state(r.index), 'verifying');
      p.verified(r.index);
    }
  }
  assert.equal(done, 3);
  assert.ok(p.isComplete());
  assert.equal(p.bytesLeft(), 0);
  assert.equal(p.haveCount(), 3);
  assert.equal(p.inFlight(1), 0);
});

test('rarest first: 3 peers with given bitfields', () => {
  // one block per piece, so every pick is a new piece
  const p = new PiecePicker(layoutOf(4 * 4, 4, 4), { random: seeded(7), initialRandomPieces: 0 });
  p.addPeer(1, [0, 1, 2, 3]);
  p.addPeer(2, [1, 2, 3]);
  p.addPeer(3, [2, 3]);
  assert.deepEqual([0, 1, 2, 3].map((i) => p.availability(i)), [1, 2, 3, 3]);
  // peer 1 has everything: it gets the piece only it has
  assert.deepEqual(fmt(p.next(1, hasSet([0, 1, 2, 3]), 1, 0)), ['0:0+4']);
  // peer 2: piece 1 (2 copies) before 2 and 3 (3 copies)
  assert.deepEqual(fmt(p.next(2, hasSet([1, 2, 3]), 1, 0)), ['1:0+4']);
  const c = p.next(3, hasSet([2, 3]), 2, 0);
  assert.deepEqual(fmt(c).sort(), ['2:0+4', '3:0+4']);
});

test('rarest first ties go to the seeded random source', () => {
  const firsts = new Set<number>();
  for (let seed = 1; seed <= 20; seed++) {
    const run = () => {
      const p = new PiecePicker(layoutOf(8 * 2, 2, 2), { random: seeded(seed), initialRandomPieces: 0 });
      p.addPeer(1, 'all');
      p.addPeer(2, [5]); // piece 5 is rarer than none: it has more copies
      return p.next(1, all, 3, 0).map((r) => r.index);
    };
    const a = run();
    assert.deepEqual(run(), a, 'same seed, same picks');
    assert.ok(!a.includes(5), 'the piece with 2 copies comes after the 7 with 1');
    firsts.add(a[0]!);
  }
  assert.ok(firsts.size >= 4, `ties spread over pieces: ${[...firsts]}`);
});

test('the first initialRandomPieces picks are random, then rarest', () => {
  const layout = layoutOf(100, 1, 1);
  const mid = () => 0.5;
  const rare = new PiecePicker(layout, { random: mid, initialRandomPieces: 0 });
  const rand = new PiecePicker(layout, { random: mid, initialRandomPieces: 1 });
  for (const p of [rare, rand]) {
    p.addPeer(1, 'all');
    p.addPeer(2, [...Array(100).keys()].filter((i) => i !== 42)); // 42 is the rarest piece
  }
  assert.deepEqual(fmt(rare.next(1, all, 1, 0)), ['42:0+1']);
  const first = rand.next(1, all, 1, 0);
  assert.notEqual(first[0]!.index, 42, 'a random pick, not the rarest');
  assert.deepEqual(fmt(rand.next(1, all, 1, 0)), ['42:0+1'], 'after the random ones, rarest first');
});

test('partial pieces first: a second peer finishes the started piece before starting one', () => {
  const p = new PiecePicker(layoutOf(40, 8, 2), { random: seeded(3), initialRandomPieces: 0 });
  p.addPeer(1, 'all');
  p.addPeer(2, 'all');
  const a = p.next(1, all, 2, 0);
  assert.equal(a.length, 2);
  const piece = a[0]!.index;
  assert.equal(p.state(piece), 'partial');
  const b = p.next(2, all, 3, 0);
  assert.deepEqual(
    b.slice(0, 2).map((r) => [r.index, r.begin]),
    [
      [piece, 4],
      [piece, 6],
    ],
  );
  assert.notEqual(b[2]!.index, piece, 'then a new piece');
  assert.equal(p.partialCount(), 2);
});

test('a peer goes on with the piece it was filling before older partial pieces', () => {
  const p = new PiecePicker(layoutOf(64, 8, 2), { random: seeded(5), initialRandomPieces: 0 });
  p.addPeer(1, 'all');
  p.addPeer(2, 'all');
  const [x] = p.next(1, all, 1, 0); // peer 1 starts piece X
  const rest = p.next(2, all, 4, 0); // peer 2 finishes requesting X and starts Y
  const y = rest[3]!.index;
  assert.notEqual(y, x!.index);
  // peer 1 gives its block of X back: X and Y both have free blocks, Y is now older in line
  assert.ok(p.cancelled(1, x!.index, x!.begin));
  // peer 2 was filling Y; peer 1 was filling X: each goes on with its own
  assert.deepEqual(fmt(p.next(2, all, 1, 0)), [`${y}:2+2`]);
  assert.deepEqual(fmt(p.next(1, all, 1, 0)), [`${x!.index}:0+2`]);
});

test('a block given back by the only requester, of an untouched piece, returns the piece to the pool', () => {
  const p = new PiecePicker(layoutOf(20, 10, 5), { random: seeded(1), initialRandomPieces: 0 });
  p.addPeer(1, 'all');
  const got = p.next(1, all, 2, 0);
  assert.equal(p.partialCount(), 1);
  for (const r of got) assert.ok(p.cancelled(1, r.index, r.begin));
  assert.equal(p.state(got[0]!.index), 'wanted');
  assert.equal(p.partialCount(), 0);
  assert.equal(p.inFlight(1), 0);
  assert.ok(!p.cancelled(1, got[0]!.index, got[0]!.begin), 'a second give-back is a no-op');
});

test('received: only blocks we asked this peer for, exactly as asked', () => {
  const p = new PiecePicker(layoutOf(13, 5, 2), { random: seeded(2), initialRandomPieces: 0 });
  p.addPeer(1, 'all');
  p.addPeer(2, 'all');
  const [r] = p.next(1, all, 1, 0);
  const { index, begin, length } = r!;
  assert.equal(p.received(2, index, begin, length).accepted, false, 'asked peer 1, not peer 2');
  assert.equal(p.received(9, index, begin, length).accepted, false, 'unknown peer');
  assert.equal(p.received(1, index, begin, length - 1).accepted, false, 'wrong length');
  assert.equal(p.received(1, index, begin + 1, length).accepted, false, 'not a block boundary');
  assert.equal(p.received(1, (index + 1) % 3, begin, length).accepted, false, 'another piece');
  assert.equal(p.received(1, 99, 0, 2).accepted, false, 'out of range');
  const ok = p.received(1, index, begin, length);
  assert.deepEqual(ok, { accepted: true, pieceDone: false, cancel: [] });
  assert.equal(p.received(1, index, begin, length).accepted, false, 'the same block twice');
});

test('endgame: duplicates from other peers only, at most 2 extra, cancels for the rest', () => {
  const p = new PiecePicker(layoutOf(4, 4, 2), { random: seeded(9), initialRandomPieces: 0 });
  for (const k of [1, 2, 3, 4]) p.addPeer(k, 'all');
  assert.ok(!p.isEndgame());
  assert.deepEqual(fmt(p.next(1, all, 10, 0)), ['0:0+2', '0:2+2']);
  assert.ok(p.isEndgame());
  assert.deepEqual(p.next(1, all, 10, 1), [], 'never a block this peer already has in flight');
  assert.deepEqual(fmt(p.next(2, all, 10, 2)), ['0:0+2', '0:2+2']);
  assert.deepEqual(fmt(p.next(3, all, 1, 3)), ['0:0+2']);
  // block 0 has 3 requesters now; block 1 has 2 and goes first
  assert.deepEqual(fmt(p.next(4, all, 10, 4)), ['0:2+2']);
  const res = p.received(2, 0, 0, 2);
  assert.ok(res.accepted);
  assert.deepEqual(res.cancel.map((c) => c.peer).sort(), [1, 3]);
  assert.deepEqual(res.cancel[0], { peer: res.cancel[0]!.peer, index: 0, begin: 0, length: 2 });
  assert.equal(p.inFlight(1), 1);
  assert.equal(p.inFlight(3), 0);
  assert.equal(p.received(1, 0, 0, 2).accepted, false, 'a late duplicate is refused');
  const last = p.received(4, 0, 2, 2);
  assert.ok(last.accepted && last.pieceDone);
  assert.deepEqual(last.cancel.map((c) => c.peer).sort(), [1, 2]);
  assert.deepEqual([1, 2, 3, 4].map((k) => p.inFlight(k)), [0, 0, 0, 0]);
  assert.deepEqual(p.failed(0).sort(), [2, 4]);
});

test('endgame: a give-back keeps the block requested while another peer has it', () => {
  const p = new PiecePicker(layoutOf(2, 2, 2), { random: seeded(9), initialRandomPieces: 0 });
  for (const k of [1, 2, 3]) p.addPeer(k, 'all');
  p.next(1, all, 1, 0);
  p.next(2, all, 1, 0);
  assert.ok(p.cancelled(1, 0, 0));
  assert.ok(p.isEndgame(), 'still requested from peer 2');
  assert.deepEqual(fmt(p.next(1, all, 1, 0)), ['0:0+2'], 'peer 1 may ask again as a duplicate');
  assert.ok(p.cancelled(1, 0, 0));
  assert.ok(p.cancelled(2, 0, 0));
  assert.ok(!p.isEndgame());
  assert.equal(p.state(0), 'wanted');
  assert.deepEqual(fmt(p.next(3, all, 5, 0)), ['0:0+2']);
});

test('failed() returns the contributors and frees every block', () => {
  const p = new PiecePicker(layoutOf(6, 6, 2), { random: seeded(4), initialRandomPieces: 0 });
  p.addPeer(7, 'all');
  p.addPeer(8, 'all');
  const a = p.next(7, all, 2, 0);
  const b = p.next(8, all, 1, 0);
  assert.equal(a.length + b.length, 3);
  for (const r of a) p.received(7, r.index, r.begin, r.length);
  const done = b.map((r) => p.received(8, r.index, r.begin, r.length)).at(-1)!;
  assert.ok(done.pieceDone);
  assert.equal(p.state(0), 'verifying');
  assert.equal(p.bytesLeft(), 6);
  assert.deepEqual(p.failed(0).sort(), [7, 8]);
  assert.equal(p.state(0), 'wanted');
  assert.equal(p.bytesLeft(), 6);
  assert.ok(!p.isComplete());
  assert.deepEqual(fmt(p.next(8, all, 9, 1)), ['0:0+2', '0:2+2', '0:4+2']);
  assert.deepEqual(p.failed(0), [], 'a partial piece with nothing received has no contributors');
  assert.equal(p.inFlight(8), 0, 'and its requests are forgotten');
});

test('removePeer frees its blocks and drops its availability', () => {
  const p = new PiecePicker(layoutOf(8, 4, 2), { random: seeded(4), initialRandomPieces: 0 });
  p.addPeer(1, [0, 1]);
  p.addPeer(2, [0]);
  const got = p.next(1, hasSet([0, 1]), 10, 0);
  assert.equal(got.length, 4);
  assert.deepEqual([p.availability(0), p.availability(1)], [2, 1]);
  p.removePeer(1);
  assert.deepEqual([p.availability(0), p.availability(1)], [1, 0]);
  assert.equal(p.inFlight(1), 0);
  assert.equal(p.state(0), 'wanted');
  assert.equal(p.received(1, 0, 0, 2).accepted, false);
  assert.deepEqual(fmt(p.next(2, hasSet([0]), 10, 0)), ['0:0+2', '0:2+2']);
  assert.ok(!p.isEndgame(), 'piece 1 is still free, though nobody has it');
});

test('file selection: unwanted pieces are never asked for and do not count', () => {
  const layout = layoutOf(50, 10, 5);
  const p = new PiecePicker(layout, { wanted: (i) => i % 2 === 0, random: seeded(6), initialRandomPieces: 0 });
  p.addPeer(1, 'all');
  assert.equal(p.wantedCount(), 3);
  assert.equal(p.bytesLeft(), 30);
  assert.equal(p.state(1), 'unwanted');
  const got = p.next(1, all, 100, 0);
  assert.deepEqual([...new Set(got.map((r) => r.index))].sort(), [0, 2, 4]);
  for (const r of got) if (p.received(1, r.index, r.begin, r.length).pieceDone) p.verified(r.index);
  assert.ok(p.isComplete());
  assert.equal(p.bytesLeft(), 0);
  assert.ok(!p.isInteresting(1));
  assert.ok(!p.interesting(all));
  p.setWanted(3, true);
  assert.ok(!p.isComplete());
  assert.equal(p.bytesLeft(), 10);
  assert.ok(p.isInteresting(1));
  assert.ok(p.interesting(all));
  assert.deepEqual(fmt(p.next(1, all, 1, 0)), ['3:0+5']);
  p.setWanted(3, false);
  assert.ok(p.isComplete());
  assert.equal(p.state(3), 'partial');
  assert.deepEqual(p.next(1, all, 100, 0), [], 'a deselected partial piece is not continued');
  assert.ok(!p.isEndgame());
  p.setWanted(3, true);
  assert.deepEqual(fmt(p.next(1, all, 100, 0)), ['3:5+5'], 'and picked up again when selected again');
  assert.ok(p.isEndgame());
});

test('setHave at start: those pieces are never requested', () => {
  const p = new PiecePicker(layoutOf(13, 5, 2), { random: seeded(1), initialRandomPieces: 0 });
  p.setHave(0);
  p.setHave(2);
  assert.equal(p.haveCount(), 2);
  assert.equal(p.bytesLeft(), 5);
  p.addPeer(1, 'all');
  assert.deepEqual(fmt(p.next(1, all, 10, 0)), ['1:0+2', '1:2+2', '1:4+1']);
  assert.ok(p.have(0) && !p.have(1));
});

test('interesting: a cheap answer per known peer, and a general one from a predicate', () => {
  const p = new PiecePicker(layoutOf(30, 10, 10), { random: seeded(1), initialRandomPieces: 0 });
  p.addPeer(1, [1]);
  p.addPeer(2, []);
  assert.ok(p.isInteresting(1));
  assert.ok(!p.isInteresting(2));
  assert.ok(p.interesting(hasSet([1])));
  assert.ok(!p.interesting(hasSet([])));
  p.setHave(1);
  assert.ok(!p.isInteresting(1));
  assert.ok(!p.interesting(hasSet([1])));
  p.failed(1); // the data on disk turned out bad
  assert.ok(p.isInteresting(1));
  p.peerHave(2, 2);
  assert.ok(p.isInteresting(2));
  p.setWanted(2, false);
  assert.ok(!p.isInteresting(2));
  assert.ok(p.interesting(hasSet([1]), 1));
});

test('allowNew false: only pieces already started', () => {
  const p = new PiecePicker(layoutOf(16, 8, 4), { random: seeded(1), initialRandomPieces: 0 });
  p.addPeer(1, 'all');
  assert.deepEqual(p.next(1, all, 4, 0, false), []);
  const [r] = p.next(1, all, 1, 0);
  assert.deepEqual(fmt(p.next(1, all, 4, 0, false)), [`${r!.index}:4+4`]);
});

test('a peer that collects every piece counts as a seed', () => {
  const p = new PiecePicker(layoutOf(6, 2, 2), { random: seeded(1), initialRandomPieces: 0 });
  p.addPeer(1, [0]);
  p.addPeer(2, [1]);
  p.peerHave(1, 1);
  p.peerHave(1, 2);
  assert.deepEqual([0, 1, 2].map((i) => p.availability(i)), [1, 2, 1]);
  p.peerHave(1, 2);
  assert.deepEqual([0, 1, 2].map((i) => p.availability(i)), [1, 2, 1], 'a repeated have counts once');
  p.removePeer(1);
  assert.deepEqual([0, 1, 2].map((i) => p.availability(i)), [0, 1, 0]);
  assert.throws(() => p.peerHave(2, 3), RangeError);
  assert.throws(() => p.peerHave(2, -1), RangeError);
  assert.throws(() => p.setHave(1.5), RangeError);
});

test('a leecher that lacks the rarest pieces still gets its own rarest ones', () => {
  // 20,000 one-block pieces; a seed has them all, so group 0 is huge, and leecher L has
  // only every 97th piece: the rarity groups cannot serve it within the probe budget
  const n = 20_000;
  const p = new PiecePicker(layoutOf(n, 1, 1), { random: seeded(11), initialRandomPieces: 0 });
  const mine = [...Array(n).keys()].filter((i) => i % 97 === 0);
  const common = new Set(mine.filter((i) => i % 2 === 0));
  p.addPeer(1, 'all');
  p.addPeer(2, mine);
  p.addPeer(3, [...common]);
  const has = hasSet(mine);
  const picks: number[] = [];
  for (;;) {
    const got = p.next(2, has, 7, 0);
    if (got.length === 0) break;
    picks.push(...got.map((r) => r.index));
  }
  assert.equal(picks.length, mine.length, 'every piece it has, once');
  assert.equal(new Set(picks).size, mine.length);
  const rareCount = mine.length - common.size;
  assert.ok(
    picks.slice(0, rareCount).every((i) => !common.has(i)),
    'its pieces with 2 copies before those with 3',
  );
  assert.ok(p.isEndgame() === false, 'the seed still has free pieces to give');
});

test('a leecher\'s cached rarest list is rebuilt when a peer leaves and rarity changes', () => {
  const n = 20_000;
  const p = new PiecePicker(layoutOf(n, 1, 1), { random: seeded(12), initialRandomPieces: 0 });
  const mine = [...Array(n).keys()].filter((i) => i % 50 === 0); // 400 pieces
  const a = mine.filter((i) => i % 100 === 0);
  const b = mine.filter((i) => i % 100 !== 0);
  p.addPeer(1, 'all');
  p.addPeer(2, mine);
  p.addPeer(3, a); // at first the pieces in `a` are the common ones
  const has = hasSet(mine);
  const [first] = p.next(2, has, 1, 0);
  assert.ok(!a.includes(first!.index), 'rarest first: a piece only the leecher and the seed have');
  p.addPeer(4, b);
  p.removePeer(3); // now `a` is the rarer half
  const [second] = p.next(2, has, 1, 0);
  assert.ok(a.includes(second!.index), `after the change, a piece from the rarer half (got ${second!.index})`);
});

test('an empty torrent is complete from the start and asks for nothing', () => {
  const p = new PiecePicker(layoutOf(0, 16));
  p.addPeer(1, 'all');
  assert.equal(p.pieceCount, 0);
  assert.ok(p.isComplete());
  assert.ok(!p.isEndgame());
  assert.deepEqual(p.next(1, all, 10, 0), []);
  assert.equal(p.bytesLeft(), 0);
  assert.ok(!p.isInteresting(1));
});

test('endgame: the block with the fewest requesters is duplicated first', () => {
  const p = new PiecePicker(layoutOf(4, 4, 2), { random: seeded(9), initialRandomPieces: 0, endgameDuplicates: 3 });
  for (const k of [1, 2, 3]) p.addPeer(k, 'all');
  assert.deepEqual(fmt(p.next(1, all, 2, 0)), ['0:0+2', '0:2+2']);
  assert.deepEqual(fmt(p.next(2, all, 1, 1)), ['0:0+2'], 'a tie: the first block');
  assert.deepEqual(fmt(p.next(3, all, 1, 2)), ['0:2+2'], 'block 1 has one requester, block 0 two');
});

test('two leechers on cached rarest lists never start the same piece twice', () => {
  const n = 20_000;
  const p = new PiecePicker(layoutOf(n, 1, 1), { random: seeded(13), initialRandomPieces: 0 });
  const shared = [...Array(n).keys()].filter((i) => i % 97 === 0);
  p.addPeer(1, 'all');
  p.addPeer(2, shared);
  p.addPeer(3, shared);
  const has = hasSet(shared);
  const picks: number[] = [];
  for (let idle = 0; idle < 2; ) {
    idle = 0;
    for (const k of [2, 3]) {
      const got = p.next(k, has, 1 + (picks.length % 3), 0);
      if (got.length === 0) idle++;
      picks.push(...got.map((r) => r.index));
    }
  }
  assert.equal(picks.length, shared.length);
  assert.equal(new Set(picks).size, shared.length, 'each piece started once');
});

test('a have that makes a leecher hold a rarer piece beats its cached list', () => {
  const n = 20_000;
  const p = new PiecePicker(layoutOf(n, 1, 1), { random: seeded(14), initialRandomPieces: 0 });
  const mine = [...Array(n).keys()].filter((i) => i % 50 === 0);
  p.addPeer(1, 'all');
  p.addPeer(2, mine);
  p.addPeer(3, mine); // every piece of the leecher has two copies besides the seed
  const [first] = p.next(2, hasSet(mine), 1, 0);
  assert.ok(mine.includes(first!.index));
  const rare = 7; // only the seed has it so far
  p.peerHave(2, rare);
  const [second] = p.next(2, hasSet([...mine, rare]), 1, 0);
  assert.equal(second!.index, rare);
});
