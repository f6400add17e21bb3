import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { StorageError } from '../../src/util/errors.js';
import type { Torrent } from '../../src/torrent/torrent.js';
import { TorrentDisk } from '../../src/torrent/torrent-disk.js';
import { Bitfield } from '../../src/wire/bitfield.js';
import { sleep, until } from '../helpers/fake-peer.js';
import { tempDir } from '../helpers/tmp.js';
import { sysError, TestBackend } from '../unit/storage/backends.js';
import { SmallDisk } from './resume-disk.js';
import { bytes, local, makeTorrent, startPeer, whenDone, writePayload } from './harness.js';
import { bytesOf, bytesOnDisk, count, haveList, matching, readResume, startCounting } from './resume-setup.js';

/**
 * Disk faults in a running swarm, with a storage backend that fails on cue: the download
 * stops with an error naming the file, every verified piece stays verified, and a later
 * run with a healthy disk finishes by fetching only what is missing.
 */

const KiB = 1024;

function firstError(torrent: Torrent, ms = 20_000): Promise<Error> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no error after ${ms} ms: ${JSON.stringify(torrent.stats())}`)), ms);
    torrent.once('error', (err: Error) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

test('disk full mid-download: an error naming the file, verified pieces kept, a later run fetches only the rest', async (t) => {
  const src = writePayload(t, { 'full.bin': bytes(2 * 1024 * KiB) });
  const m = await makeTorrent(join(src, 'full.bin'), 64 * KiB);
  const seeder = await startPeer(t, m, src);
  const out = tempDir(t);
  // room for about a third of the data; the piece that crosses the line is cut short
  const backend = new SmallDisk(700 * KiB);
  const first = await startCounting(t, m, out, { backend });
  const failed = firstError(first.torrent);
  first.torrent.addPeers([local(seeder.port)], 'manual');
  const err = await failed;
  assert.ok(err instanceof StorageError, `a StorageError: ${String(err)}`);
  assert.equal(err.code, 'ENOSPC');
  assert.equal(err.message, `disk full writing "${join(out, 'full.bin')}"`);
  assert.equal(first.torrent.phase, 'error');
  await first.session.close();
  const had = haveList(first.torrent);

  const onDisk = matching(bytesOnDisk(src, m.layout), bytesOnDisk(out, m.layout), m.layout);
  for (let i = 0; i < had.length; i++) if (had[i]) assert.ok(onDisk[i], `verified piece ${i} is on disk`);
  const saved = await readResume(out, m);
  t.diagnostic(`verified at the error: ${count(had)} pieces; on disk: ${count(onDisk)}; in the resume file: ${count(saved.have)}`);
  assert.deepEqual(saved.have, had, 'the resume file lists the pieces that were written');
  assert.deepEqual(saved.have, onDisk, 'every piece that reached the disk, the ones in flight at the error too');
  assert.deepEqual(readdirSync(join(out, '.swarm')), [`${m.infoHashHex}.resume`], 'the reserve made room for it');
  assert.ok(count(had) > 0 && count(had) < m.layout.pieceCount);

  const second = await startCounting(t, m, out);
  assert.equal(second.hashed, 0, 'the resume file was trusted');
  assert.deepEqual(haveList(second.torrent), had);
  second.torrent.addPeers([local(seeder.port)], 'manual');
  await whenDone(second.torrent);
  const s = second.torrent.stats();
  assert.equal(s.downloadedBytes - s.wastedBytes, m.layout.totalLength - bytesOf(had, m.layout), 'only the missing pieces fetched');
  assert.ok(bytesOnDisk(out, m.layout).equals(bytesOnDisk(src, m.layout)));
  assert.deepEqual(readdirSync(join(out, '.swarm')), [`${m.infoHashHex}.resume`], 'done: no reserve left behind');
});

test('permission denied on one file: the error names it, the other files keep their pieces, a later run completes', async (t) => {
  const src = writePayload(t, { 'set/open.bin': bytes(600 * KiB), 'set/locked.bin': bytes(600 * KiB), 'set/z.bin': bytes(100 * KiB) });
  const m = await makeTorrent(join(src, 'set'), 32 * KiB);
  const seeder = await startPeer(t, m, src, { uploadLimit: 2 * 1024 * KiB });
  const out = tempDir(t);
  // the file becomes unwritable once some pieces are in (as if its permissions changed)
  const backend = new TestBackend();
  let refusing = false;
  backend.refuseOpen = (path) => (refusing && path.endsWith('locked.bin') ? 'EACCES' : undefined);
  backend.onWrite = (path) => {
    if (refusing && path.endsWith('locked.bin')) throw sysError('EACCES', `write '${path}'`);
  };
  const first = await startCounting(t, m, out, { backend });
  let pieces = 0;
  first.torrent.on('piece', () => (refusing ||= ++pieces >= 12));
  const failed = firstError(first.torrent);
  first.torrent.addPeers([local(seeder.port)], 'manual');
  const err = await failed;
  assert.ok(err instanceof StorageError);
  assert.equal(err.code, 'EACCES');
  const locked = join(out, 'set', 'locked.bin');
  assert.ok([`permission denied writing "${locked}"`, `permission denied opening for writing "${locked}"`].includes(err.message), err.message);
  await first.session.close();
  const had = haveList(first.torrent);
  const saved = await readResume(out, m);
  assert.deepEqual(saved.have, had, 'the resume file lists the pieces that were written');
  t.diagnostic(`verified before the error: ${count(had)} of ${m.layout.pieceCount} pieces`);
  assert.ok(count(had) >= 12);

  const second = await startCounting(t, m, out);
  assert.deepEqual(haveList(second.torrent), had, 'every verified piece is still verified');
  second.torrent.addPeers([local(seeder.port)], 'manual');
  await whenDone(second.torrent);
  const s = second.torrent.stats();
  assert.equal(s.downloadedBytes - s.wastedBytes, m.layout.totalLength - bytesOf(had, m.layout));
  assert.ok(bytesOnDisk(out, m.layout).equals(bytesOnDisk(src, m.layout)));
});

test('disk full: a periodic save does not take the reserve, so the save on close lists every piece written', async (t) => {
  const data = bytes(256 * KiB);
  const src = writePayload(t, { 'r.bin': data });
  const m = await makeTorrent(join(src, 'r.bin'), 64 * KiB);
  const out = tempDir(t);
  const backend = new SmallDisk(16 * 1024 * KiB);
  const have = new Bitfield(m.layout.pieceCount);
  const written = new Set<number>();
  const disk = new TorrentDisk({
    metainfo: m,
    root: out,
    backend,
    onWritten: (i) => written.add(i),
    onError: () => undefined,
    onBackpressure: () => undefined,
    resumeSaveMs: 0,
  });
  await disk.check({ recheck: false });
  disk.write(0, Buffer.from(data.subarray(0, 64 * KiB)));
  await until(() => written.has(0), 3000, 'piece 0 on disk');
  have.set(0);
  // the disk is now full: the periodic save fails, and must leave the reserve alone
  backend.capacity = backend.used;
  disk.maybeSaveResume(have);
  await sleep(100);
  // a piece that reached the disk meanwhile (as one rewritten in place after a failed run)
  have.set(1);
  await disk.close(have);
  const saved = await readResume(out, m);
  assert.deepEqual(saved.have, [true, true, false, false], 'the save on close used the reserve');
});

test('a piece written while a periodic save waits for its stat is listed, so a restart trusts the file and keeps it', async (t) => {
  const data = bytes(256 * KiB);
  const src = writePayload(t, { 's.bin': data });
  const m = await makeTorrent(join(src, 's.bin'), 64 * KiB);
  const out = tempDir(t);
  // the save's stat of the payload waits until the test lets it go
  let release: () => void = () => undefined;
  let armed = false;
  let held = false;
  class SlowStat extends TestBackend {
    override async stat(path: string) {
      if (armed && path.endsWith('s.bin') && !held) {
        held = true;
        await new Promise<void>((r) => (release = r));
      }
      return super.stat(path);
    }
  }
  const have = new Bitfield(m.layout.pieceCount);
  const written = new Set<number>();
  const opts = { metainfo: m, root: out, onError: () => undefined, onBackpressure: () => undefined, resumeSaveMs: 0 };
  const disk = new TorrentDisk({ ...opts, backend: new SlowStat(), onWritten: (i) => written.add(i) });
  await disk.check({ recheck: false });
  disk.write(0, Buffer.from(data.subarray(0, 64 * KiB)));
  await until(() => written.has(0), 3000, 'piece 0 on disk');
  have.set(0);
  armed = true;
  disk.maybeSaveResume(have);
  await until(() => held, 3000, 'the save to stat the file');
  // a piece lands while the save waits: it changes the file's mtime before the stat reads it
  disk.write(1, Buffer.from(data.subarray(64 * KiB, 128 * KiB)));
  await until(() => written.has(1), 3000, 'piece 1 on disk');
  have.set(1);
  release();
  await sleep(100);
  const saved = await readResume(out, m);
  assert.deepEqual(saved.have, [true, true, false, false], 'listed with the mtime that includes it');
  // kill -9 now (no save on close): a restart trusts the resume file and finds both pieces
  const again = new TorrentDisk({ ...opts, backend: new TestBackend(), onWritten: () => undefined });
  assert.deepEqual(await again.check({ recheck: false }), [true, true, false, false]);
  await again.close(new Bitfield(m.layout.pieceCount));
  await disk.close(have);
});
