import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { assertSameFiles, makePayload, multiFile, MULTI_PIECE, since, singleFile, SINGLE_PIECE } from './common.js';
import { needClients, startRealLeecher, startRealSeeder, type RealKind, type RealSeeder, type SeederOptions } from './real.js';
import type { PeerLog } from './peer-log.js';
import { ourDone, startOurs } from './swarm-side.js';

/** The two payload shapes every client is tried with. */
export const SHAPES = [
  { label: 'a single file', files: singleFile, pieceLength: SINGLE_PIECE },
  {
    label: 'a multi-file torrent (0-byte file, file smaller than a block, pieces across files)',
    files: multiFile,
    pieceLength: MULTI_PIECE,
  },
] as const;

export type Shape = (typeof SHAPES)[number];

/**
 * swarm (in this process) downloads from real seeders, all at once. Checks the bytes, that
 * each seeder sent us something (by our count and by its own), and that we never held
 * any of its messages against it.
 */
export async function weDownload(
  t: TestContext,
  kinds: RealKind[],
  shape: Shape,
  opts: { seeder?: Partial<Record<RealKind, SeederOptions>>; ms?: number } = {},
): Promise<void> {
  if (!needClients(t, kinds)) return;
  const p = await makePayload(t, shape.files(), shape.pieceLength);
  const total = p.metainfo.layout.totalLength;
  const seeders: RealSeeder[] = [];
  for (const k of kinds) seeders.push(await startRealSeeder(t, k, p, opts.seeder?.[k]));
  const start = performance.now();
  const us = await startOurs(t, p.metainfo);
  us.torrent.addPeers(
    seeders.map((s) => ({ host: '127.0.0.1', port: s.port })),
    'manual',
  );
  const tails = () => `${us.log.describe()}\n${seeders.map((s) => `--- ${s.kind}:\n${s.tail()}`).join('\n')}`;
  await ourDone(us.torrent, opts.ms ?? 60_000, tails);
  t.diagnostic(`swarm downloaded ${total} bytes from ${kinds.join(' + ')} in ${since(start)} ms`);
  assertSameFiles(p, us.root, `swarm (from ${kinds.join(' + ')})`);
  assert.equal(us.torrent.stats().failedPieces, 0);
  assert.equal(us.log.violations(), 0, `protocol violations counted against real clients:\n${us.log.describe()}`);
  assert.ok(us.log.maxOpen >= kinds.length, `at most ${us.log.maxOpen} peers were connected at once:\n${us.log.describe()}`);
  assertExtendedHandshakes(t, us.log, kinds);
  let received = 0;
  for (const s of seeders) {
    const ours = us.log.receivedFrom(s.kind);
    received += ours;
    const theirs = await s.finish();
    t.diagnostic(`${s.kind}: we received ${ours} bytes, it says it uploaded ${theirs ?? 'nothing it reports'}`);
    assert.ok(ours > 0, `${s.kind} sent us nothing:\n${us.log.describe()}`);
    assert.ok(theirs !== undefined && theirs > 0, `${s.kind} says it uploaded ${theirs}`);
    if (kinds.length === 1) assert.ok(theirs >= total, `${s.kind} says it uploaded ${theirs} of ${total} bytes`);
  }
  assert.ok(received >= total, `received ${received} of ${total} bytes:\n${us.log.describe()}`);
}

/** What each real client calls itself in its extended handshake (BEP 10). */
const CLIENT_NAMES: Record<RealKind, RegExp> = {
  libtorrent: /^libtorrent\//,
  transmission: /^Transmission /,
  aria2: /^aria2\//,
};

/** Every real client sent its extended handshake, and we read its name from it. */
function assertExtendedHandshakes(t: TestContext, log: PeerLog, kinds: RealKind[]): void {
  for (const k of kinds) {
    const said = log.extendedOf(k);
    t.diagnostic(`${k} extended handshake: ${JSON.stringify(said)}`);
    assert.ok(
      said.some((h) => h.v !== undefined && CLIENT_NAMES[k].test(h.v)),
      `${k}'s extended handshake not read:\n${log.describe()}`,
    );
  }
}

/**
 * Real leechers, all at once, download from swarm seeding in this process. Checks each
 * one's bytes, that each got the whole payload from us, and that we never held any of
 * their messages against them.
 */
export async function theyDownload(t: TestContext, kinds: RealKind[], shape: Shape, ms = 90_000): Promise<void> {
  if (!needClients(t, kinds)) return;
  const p = await makePayload(t, shape.files(), shape.pieceLength);
  const total = p.metainfo.layout.totalLength;
  const us = await startOurs(t, p.metainfo, p.root);
  assert.equal(us.torrent.phase, 'seeding');
  const start = performance.now();
  const leechers = [];
  for (const k of kinds) leechers.push(await startRealLeecher(t, k, p, us));
  await Promise.all(
    leechers.map(async (l) => {
      try {
        await l.done(ms);
      } catch (err) {
        throw new Error(`${l.kind}: ${err instanceof Error ? err.message : String(err)}\n${us.log.describe()}`);
      }
      t.diagnostic(`${l.kind} downloaded ${total} bytes from swarm in ${since(start)} ms`);
    }),
  );
  for (const l of leechers) {
    assertSameFiles(p, l.dir, `${l.kind} (from swarm)`, l.compare);
    assert.ok(us.log.sentTo(l.kind) >= total, `${l.kind} got every byte from us:\n${us.log.describe()}`);
    // aria2 tells of new pieces with fresh bitfields, even to a seed; do we take them in?
    // (libtorrent and Transmission do not send a seed every have, so no such check there)
    if (l.kind === 'aria2') {
      assert.equal(us.log.piecesOf('aria2'), p.metainfo.layout.pieceCount, `we know aria2 has every piece:\n${us.log.describe()}`);
    }
  }
  assert.equal(us.log.violations(), 0, `protocol violations counted against real clients:\n${us.log.describe()}`);
  assertExtendedHandshakes(t, us.log, kinds);
}
