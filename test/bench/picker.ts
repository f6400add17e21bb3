/**
 * Measures the picker's cost per block: next() + received() (+ verified() per piece) over
 * a whole 1 GiB download. Prints; never fails. Run: node dist/test/bench/picker.js
 */
import { PieceLayout } from '../../src/metainfo/layout.js';
import { PiecePicker } from '../../src/torrent/picker.js';

const GiB = 1024 * 1024 * 1024;

interface Scenario {
  name: string;
  pieceLength: number;
  /** Each peer's pieces: 'all', or the share of pieces it has (random). */
  peers: Array<'all' | number>;
  batch: number;
}

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function run(s: Scenario): { nsPerBlock: number; blocks: number; ms: number } {
  const layout = new PieceLayout([{ path: ['big'], length: GiB }], s.pieceLength);
  const random = mulberry(1);
  const picker = new PiecePicker(layout, { random });
  const has: Array<(i: number) => boolean> = [];
  s.peers.forEach((share, key) => {
    if (share === 'all') {
      picker.addPeer(key, 'all');
      has.push(() => true);
      return;
    }
    const bits = new Uint8Array(layout.pieceCount);
    const list: number[] = [];
    for (let i = 0; i < layout.pieceCount; i++) if (random() < share) (bits[i] = 1), list.push(i);
    picker.addPeer(key, list);
    has.push((i) => bits[i] === 1);
  });
  let blocks = 0;
  let now = 0;
  const t0 = process.hrtime.bigint();
  for (let idle = 0; idle < s.peers.length; ) {
    idle = 0;
    for (let key = 0; key < s.peers.length; key++) {
      const got = picker.next(key, has[key]!, s.batch, now++);
      if (got.length === 0) idle++;
      for (const r of got) {
        const res = picker.received(key, r.index, r.begin, r.length);
        if (!res.accepted) continue;
        blocks++;
        if (res.pieceDone) picker.verified(r.index);
      }
    }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return { nsPerBlock: ns / blocks, blocks, ms: ns / 1e6 };
}

const scenarios: Scenario[] = [
  { name: '16 KiB pieces (65,536 x 1 block), 4 seeds', pieceLength: 16 * 1024, peers: ['all', 'all', 'all', 'all'], batch: 16 },
  { name: '16 KiB pieces, 4 peers with ~75% each', pieceLength: 16 * 1024, peers: [0.75, 0.75, 0.75, 0.75], batch: 16 },
  { name: '16 KiB pieces, 1 seed + 3 peers with ~5% each', pieceLength: 16 * 1024, peers: ['all', 0.05, 0.05, 0.05], batch: 16 },
  { name: '256 KiB pieces (4,096 x 16 blocks), 4 seeds', pieceLength: 256 * 1024, peers: ['all', 'all', 'all', 'all'], batch: 16 },
];

for (const s of scenarios) {
  run(s); // warm-up: let the JIT settle before timing
  const runs = [run(s), run(s), run(s), run(s), run(s)].sort((a, b) => a.nsPerBlock - b.nsPerBlock);
  const mid = runs[2]!;
  console.log(`${s.name}: ${mid.nsPerBlock.toFixed(0)} ns/block (median of 5; ${mid.blocks} blocks in ${mid.ms.toFixed(0)} ms)`);
}
