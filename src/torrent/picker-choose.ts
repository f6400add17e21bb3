/**
 * Choosing what to start next, and which blocks to duplicate in endgame. Kept apart from
 * the picker's bookkeeping: these read its structures and change only a peer's cache.
 */
import type { Partial } from './picker-partial.js';
import type { PeerState } from './picker-peer.js';
import type { Rarity } from './picker-rarity.js';
import type { PeerKey } from './picker-types.js';

/** Probes into the rarest groups before asking the peer's own bitfield instead. */
const PROBE_BUDGET = 64;
const RANDOM_TRIES = 32;
const CACHE_SIZE = 64;

/**
 * A piece to start for this peer, or -1: the rarest it has (availability groups from
 * `from` up), or a random one while `randomFirst`.
 */
export function chooseNew(
  rarity: Rarity,
  st: PeerState,
  peerHas: (index: number) => boolean,
  from: number,
  randomFirst: boolean,
  random: () => number,
): number {
  if (rarity.size === 0) return -1;
  if (randomFirst) {
    const i = rarity.sample(peerHas, from, RANDOM_TRIES, random);
    if (i >= 0) return i;
  }
  // a list from an earlier walk that is still good saves the probes that failed then
  if (st.cacheEpoch === rarity.epoch && (st.cachePos < st.cache.length || st.cacheAll)) {
    return fromCache(rarity, st, peerHas, random);
  }
  const i = rarity.scan(peerHas, from, st.bits ? PROBE_BUDGET : Infinity, random);
  return i === -2 ? fromCache(rarity, st, peerHas, random) : i;
}

/**
 * The peer lacks most of the rarest pieces: walk its own bitfield instead, and keep the
 * rarest few found for the next picks, so the walk is paid once per CACHE_SIZE pieces.
 */
function fromCache(rarity: Rarity, st: PeerState, peerHas: (index: number) => boolean, random: () => number): number {
  for (let pass = 0; pass < 2; pass++) {
    if (st.cacheEpoch === rarity.epoch) {
      while (st.cachePos < st.cache.length) {
        const i = st.cache[st.cachePos++]!;
        if (rarity.contains(i) && peerHas(i)) return i;
      }
      if (st.cacheAll) return -1;
    }
    if (pass === 1) break;
    const { list, all } = rarestAmong(st.bits!, rarity, CACHE_SIZE, random);
    st.cache = list;
    st.cachePos = 0;
    st.cacheAll = all;
    st.cacheWorst = list.length > 0 ? rarity.avail[list[list.length - 1]!]! : 0;
    st.cacheEpoch = rarity.epoch;
  }
  return -1;
}

/**
 * Rarest first chose `index` for this peer: it works through the extent of `extent` pieces
 * around it from the start. Returns the piece to start now: as rare as `index` (nothing
 * this peer has is rarer), so rarest first holds; only the order among equals changes.
 */
export function enterExtent(
  rarity: Rarity,
  st: PeerState,
  index: number,
  extent: number,
  seeds: number,
  peerHas: (index: number) => boolean,
): number {
  const start = index - (index % extent);
  st.extentNext = start;
  st.extentEnd = Math.min(rarity.avail.length, start + extent);
  // counted with the seeds: a peer turning into a seed leaves this total unchanged
  st.extentAvail = rarity.avail[index]! + seeds;
  st.extentEpoch = rarity.epoch;
  const first = inExtent(rarity, st, seeds, peerHas);
  return first >= 0 && first <= index ? first : index;
}

/** The next piece of the peer's extent that it has, nobody started, and is no more common; -1 if none. */
export function inExtent(rarity: Rarity, st: PeerState, seeds: number, peerHas: (index: number) => boolean): number {
  // a peer left or pieces came back: something else may be rarer now
  if (st.extentEpoch !== rarity.epoch) st.extentNext = -1;
  while (st.extentNext >= 0 && st.extentNext < st.extentEnd) {
    const i = st.extentNext++;
    if (rarity.contains(i) && rarity.avail[i]! + seeds <= st.extentAvail && peerHas(i)) return i;
  }
  st.extentNext = -1;
  return -1;
}

/** Endgame: blocks in flight from others that `peer` may ask for too, best first. */
export function duplicates(
  partials: Iterable<Partial>,
  peer: PeerKey,
  peerHas: (index: number) => boolean,
  wanted: (index: number) => boolean,
  maxRequesters: number,
): Array<{ p: Partial; b: number }> {
  const found: Array<{ p: Partial; b: number; n: number }> = [];
  for (const p of partials) {
    if (p.requested === 0 || !wanted(p.index) || !peerHas(p.index)) continue;
    for (let b = 0; b < p.blocks; b++) {
      const n = p.requesterCount(b);
      if (n > 0 && n < maxRequesters && !p.isRequester(b, peer)) found.push({ p, b, n });
    }
  }
  // fewest requesters first, then the oldest request: the one most likely stuck
  return found.sort((x, y) => x.n - y.n || x.p.at[x.b]! - y.p.at[y.b]!);
}

/**
 * The `limit` rarest startable pieces among `bits`, rarest first, ties in random order.
 * Two passes over the intersection of the peer's bitset with the startable set (word-wide,
 * so empty stretches cost one AND per 32 pieces): a histogram of availability to find the
 * cut-off level, then the pieces below it plus a random sample of those at it.
 */
export function rarestAmong(bits: Uint32Array, rarity: Rarity, limit: number, random: () => number): { list: number[]; all: boolean } {
  const member = rarity.member;
  const avail = rarity.avail;
  const hist = new Uint32Array(rarity.levels);
  let total = 0;
  const each = (fn: (i: number) => void) => {
    // start at a random word so equal pieces early in the torrent are not always first
    const n = bits.length;
    const start = n === 0 ? 0 : Math.floor(random() * n);
    for (let k = 0; k < n; k++) {
      const w = (start + k) % n;
      let x = (bits[w]! & member[w]!) | 0;
      while (x !== 0) {
        const low = x & -x;
        fn((w << 5) + 31 - Math.clz32(low));
        x ^= low;
      }
    }
  };
  each((i) => {
    hist[avail[i]!]!++;
    total++;
  });
  if (total === 0) return { list: [], all: true };
  const want = Math.min(limit, total);
  let cut = 0;
  let below = 0;
  while (below + hist[cut]! < want) below += hist[cut++]!;
  const room = want - below;
  const low: number[] = [];
  const ties: number[] = [];
  let seen = 0;
  each((i) => {
    const a = avail[i]!;
    if (a < cut) low.push(i);
    else if (a === cut) {
      // reservoir sample: every piece at the cut-off level is equally likely to be kept
      seen++;
      if (ties.length < room) ties.push(i);
      else {
        const j = Math.floor(random() * seen);
        if (j < room) ties[j] = i;
      }
    }
  });
  const list = low.concat(ties);
  for (let k = list.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    const t = list[k]!;
    list[k] = list[j]!;
    list[j] = t;
  }
  list.sort((a, b) => avail[a]! - avail[b]!);
  return { list, all: total <= limit };
}
