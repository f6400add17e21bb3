/**
 * BEP 3 tit-for-tat choking, as a pure function the torrent runs every 10 s: the
 * `slots` interested peers that give us the most (seeding: that take the most) are
 * unchoked, plus one optimistic unchoke that rotates every 30 s so newcomers get a
 * chance to show what they can do.
 */
import type { PeerKey } from './picker-types.js';

export interface ChokePeer {
  key: PeerKey;
  /** The peer wants something from us. */
  interested: boolean;
  /** Bytes per second it gives us. */
  downloadRate: number;
  /** Bytes per second we give it. */
  uploadRate: number;
  /** It sent us nothing for a long while although we asked. */
  snubbed: boolean;
  connectedAt: number;
}

export interface ChokeOptions {
  /** Regular unchoke slots (default 4). */
  slots?: number;
  seeding: boolean;
  now: number;
  /** The optimistic unchoke of the previous round, and since when it holds the slot. */
  optimisticPeer?: PeerKey | undefined;
  optimisticSince?: number | undefined;
  random?: () => number;
  /** How long an optimistic unchoke lasts (default 30 s). */
  optimisticMs?: number;
  /** Peers connected for less than this are new (default 60 s)... */
  newPeerMs?: number;
  /** ...and this many times as likely to get the optimistic slot (default 3). */
  newPeerWeight?: number;
}

export interface ChokeResult {
  /** Every peer to unchoke, the optimistic one included. */
  unchoke: Set<PeerKey>;
  optimistic?: PeerKey;
  optimisticSince?: number;
}

export function choke(peers: readonly ChokePeer[], opts: ChokeOptions): ChokeResult {
  const slots = Math.max(0, opts.slots ?? 4);
  const now = opts.now;
  const rate = opts.seeding ? (p: ChokePeer) => p.uploadRate : (p: ChokePeer) => p.downloadRate;
  // While seeding nobody sends us anything, so "snubbed" means nothing then.
  const regular = peers
    .filter((p) => p.interested && (opts.seeding || !p.snubbed))
    .sort((a, b) => rate(b) - rate(a) || a.connectedAt - b.connectedAt || a.key - b.key)
    .slice(0, slots);
  const unchoke = new Set(regular.map((p) => p.key));

  const prev = opts.optimisticPeer === undefined ? undefined : peers.find((p) => p.key === opts.optimisticPeer);
  const since = opts.optimisticSince;
  const optimisticMs = opts.optimisticMs ?? 30_000;
  if (prev && prev.interested && !unchoke.has(prev.key) && since !== undefined && now - since < optimisticMs) {
    unchoke.add(prev.key);
    return { unchoke, optimistic: prev.key, optimisticSince: since };
  }

  // Snubbed peers may win this slot: it is how they get another chance.
  const pool = peers.filter((p) => p.interested && !unchoke.has(p.key));
  const fresh = pool.filter((p) => p.key !== opts.optimisticPeer);
  const choices = fresh.length > 0 ? fresh : pool;
  if (choices.length === 0) return { unchoke };
  const newMs = opts.newPeerMs ?? 60_000;
  const newWeight = opts.newPeerWeight ?? 3;
  const weight = (p: ChokePeer) => (now - p.connectedAt < newMs ? newWeight : 1);
  let total = 0;
  for (const p of choices) total += weight(p);
  let r = (opts.random ?? Math.random)() * total;
  let pick = choices[choices.length - 1]!;
  for (const p of choices) {
    r -= weight(p);
    if (r < 0) {
      pick = p;
      break;
    }
  }
  unchoke.add(pick.key);
  return { unchoke, optimistic: pick.key, optimisticSince: now };
}
