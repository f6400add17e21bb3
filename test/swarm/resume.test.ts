import assert from 'node:assert/strict';
import { closeSync, cpSync, openSync, readdirSync, readSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { resumePath } from '../../src/storage/resume.js';
import { sleep, until } from '../helpers/fake-peer.js';
import { tempDir } from '../helpers/tmp.js';
import { TestBackend } from '../unit/storage/backends.js';
import { bytes, local, makeTorrent, startPeer, whenDone, writePayload } from './harness.js';
import { afterPieces, bytesOf, bytesOnDisk, count, haveList, matching, readResume, startCounting } from './resume-setup.js';

/**
 * The resume file in a running swarm: what a stop leaves behind, what a restart trusts,
 * and what it re-hashes or fetches again.
 */

const KiB = 1024;

function threeFiles() {
  return {
    'set/a.bin': bytes(300 * KiB + 7),
    'set/b.bin': bytes(1024 * KiB),
    'set/c.bin': bytes(700 * KiB + 1),
  };
}

/** A download of threeFiles() stopped (cleanly) once `pieces` are verified. */
async function stoppedMidway(t: TestContext, pieces: number) {
  const src = writePayload(t, threeFiles());
  const m = await makeTorrent(join(src, 'set'), 64 * KiB);
  const seeder = await startPeer(t, m, src, { uploadLimit: 1024 * KiB });
  const out = tempDir(t);
  const first = await startCounting(t, m, out);
  first.torrent.addPeers([local(seeder.port)], 'manual');
  await afterPieces(first.torrent, pieces);
  await first.session.close();
  return { src, m, seeder, out, had: haveList(first.torrent) };
}

test('stop mid-download: the resume file lists exactly the verified pieces; a restart trusts them and fetches only the rest', async (t) => {
  const { src, m, seeder, out, had } = await stoppedMidway(t, 8);
  assert.ok(count(had) >= 8 && count(had) < m.layout.pieceCount, `${count(had)} pieces at stop`);

  // <root>/.swarm/<infohash>.resume, nothing half-written next to it
  const path = resumePath(out, m.infoHashHex);
  assert.equal(path, join(out, '.swarm', `${m.infoHashHex}.resume`));
  assert.deepEqual(readdirSync(join(out, '.swarm')).filter((n) => n.endsWith('.tmp')), []);
  const saved = await readResume(out, m);
  assert.deepEqual(saved.have, had, 'the resume file lists the pieces verified at stop');
  const onDisk = matching(bytesOnDisk(src, m.layout), bytesOnDisk(out, m.layout), m.layout);
  for (let i = 0; i < had.length; i++) if (had[i]) assert.ok(onDisk[i], `listed piece ${i} is on disk`);
  m.layout.files.forEach((f, i) => {
    const p = join(out, ...f.path);
    const st = saved.files[i];
    if (st === null) return;
    assert.equal(st!.size, statSync(p).size, `${f.path.join('/')}: size saved`);
  });

  const second = await startCounting(t, m, out);
  assert.equal(second.hashed, 0, 'nothing hashed: every file is as the resume file saw it');
  assert.deepEqual(haveList(second.torrent), had);
  second.torrent.addPeers([local(seeder.port)], 'manual');
  await whenDone(second.torrent);
  const s = second.torrent.stats();
  const missing = m.layout.totalLength - bytesOf(had, m.layout);
  assert.equal(s.downloadedBytes - s.wastedBytes, missing, 'the restart fetched only the pieces it did not have');
  assert.ok(bytesOnDisk(out, m.layout).equals(bytesOnDisk(src, m.layout)));
  t.diagnostic(`stopped at ${count(had)}/${m.layout.pieceCount} pieces; restart fetched ${missing} bytes, wasted ${s.wastedBytes}`);
});

test('restart: a file touched since the save is re-hashed, a deleted file is fetched again, the others are trusted', async (t) => {
  const files = threeFiles();
  const src = writePayload(t, files);
  const m = await makeTorrent(join(src, 'set'), 64 * KiB);
  const seeder = await startPeer(t, m, src);
  // a complete copy with its resume file: the first start hashes it all and saves
  const out = tempDir(t);
  cpSync(join(src, 'set'), join(out, 'set'), { recursive: true });
  const first = await startCounting(t, m, out);
  assert.equal(first.torrent.phase, 'seeding');
  assert.equal(first.hashed, m.layout.totalLength, 'no resume file yet: everything hashed');
  await first.session.close();

  const b = join(out, 'set/b.bin');
  const later = new Date(statSync(b).mtimeMs + 5_000);
  utimesSync(b, later, later);
  rmSync(join(out, 'set/c.bin'));

  const [fa, fb, fc] = m.layout.files;
  const touches = (i: number, f: typeof fa) => m.layout.spans(i).some((sp) => m.layout.files[sp.file] === f);
  const pieces = Array.from({ length: m.layout.pieceCount }, (_, i) => i);
  // pieces of b are hashed unless they also need bytes of the deleted c
  const expectHashed = pieces.filter((i) => touches(i, fb) && !touches(i, fc));
  const expectFetched = pieces.filter((i) => touches(i, fc));
  const second = await startCounting(t, m, out);
  assert.equal(second.hashed, expectHashed.reduce((s, i) => s + m.layout.pieceSize(i), 0), 'only the touched file was hashed');
  const have = haveList(second.torrent);
  for (const i of pieces) assert.equal(have[i], !touches(i, fc), `piece ${i} (${touches(i, fa) ? 'a' : ''}${touches(i, fb) ? 'b' : ''}${touches(i, fc) ? 'c' : ''})`);
  second.torrent.addPeers([local(seeder.port)], 'manual');
  await whenDone(second.torrent);
  const s = second.torrent.stats();
  assert.equal(s.downloadedBytes - s.wastedBytes, expectFetched.reduce((sum, i) => sum + m.layout.pieceSize(i), 0));
  assert.ok(bytesOnDisk(out, m.layout).equals(bytesOnDisk(src, m.layout)));
});

test('recheck hashes everything and catches a change the resume file cannot see (same size, same mtime)', async (t) => {
  const src = writePayload(t, threeFiles());
  const m = await makeTorrent(join(src, 'set'), 64 * KiB);
  const seeder = await startPeer(t, m, src);
  const out = tempDir(t);
  cpSync(join(src, 'set'), join(out, 'set'), { recursive: true });
  // a whole-second mtime, so it can be put back exactly
  const a = join(out, 'set/a.bin');
  const when = Math.floor(Date.now() / 1000) - 100;
  utimesSync(a, when, when);
  const first = await startCounting(t, m, out);
  await first.session.close();

  // flip a byte in a.bin and put its mtime back: size and mtime match the resume file
  const fd = openSync(a, 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, 1000);
  byte[0] = byte[0]! ^ 0xff;
  writeSync(fd, byte, 0, 1, 1000);
  closeSync(fd);
  utimesSync(a, when, when);

  const trusting = await startCounting(t, m, out);
  assert.equal(trusting.hashed, 0);
  assert.equal(trusting.torrent.phase, 'seeding', 'without --recheck the resume file is believed');
  await trusting.session.close();

  const rechecked = await startCounting(t, m, out, { recheck: true });
  assert.equal(rechecked.hashed, m.layout.totalLength, 'recheck hashes every byte');
  const have = haveList(rechecked.torrent);
  assert.deepEqual(
    have.flatMap((h, i) => (h ? [] : [i])),
    [0],
    'only the piece with the changed byte is missing',
  );
  rechecked.torrent.addPeers([local(seeder.port)], 'manual');
  await whenDone(rechecked.torrent);
  assert.equal(rechecked.torrent.stats().downloadedBytes, m.layout.pieceSize(0));
  assert.ok(bytesOnDisk(out, m.layout).equals(bytesOnDisk(src, m.layout)));
});

test('a damaged resume file is ignored: the data is hashed and every good piece is kept', async (t) => {
  const { m, out, had } = await stoppedMidway(t, 6);

  for (const junk of [Buffer.from('d7:versioni1ee'), Buffer.from('not bencode at all'), Buffer.alloc(0)]) {
    writeFileSync(resumePath(out, m.infoHashHex), junk);
    const again = await startCounting(t, m, out);
    assert.ok(again.hashed > 0, 'hashed instead of trusting junk');
    assert.deepEqual(haveList(again.torrent), had, `with resume file ${JSON.stringify(junk.toString())}`);
    await again.session.close();
  }
});

test('stop with writes in flight: they finish and the resume file lists every piece that reached the disk', async (t) => {
  const src = writePayload(t, { 'slowdisk.bin': bytes(4 * 1024 * KiB) });
  const m = await makeTorrent(join(src, 'slowdisk.bin'), 64 * KiB);
  const seeder = await startPeer(t, m, src);
  const out = tempDir(t);
  // a stuck disk: verified pieces wait in the write queue until the stop has begun (a slow
  // disk alone was not enough: on a slow machine the download outran it and one writev
  // stored every piece before the stop)
  const backend = new TestBackend();
  let release!: () => void;
  const stuck = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  backend.holdWrite = (path) => {
    if (!path.endsWith('slowdisk.bin')) return undefined;
    held++;
    return stuck;
  };
  const first = await startCounting(t, m, out, { backend });
  let closing: Promise<void>;
  let queued: ReturnType<typeof first.torrent.stats>;
  try {
    first.torrent.addPeers([local(seeder.port)], 'manual');
    await until(() => held > 0, 20_000, 'a piece write waiting on the disk');
    queued = first.torrent.stats();
    closing = first.session.close();
    await sleep(50);
  } finally {
    // a failure above must not leave the disk stuck, or the cleanup would wait forever
    release();
  }
  await closing;
  const saved = await readResume(out, m);
  const onDisk = matching(bytesOnDisk(src, m.layout), bytesOnDisk(out, m.layout), m.layout);
  t.diagnostic(`written before stop ${queued.piecesDone}, on disk after stop ${count(onDisk)}, in the resume file ${count(saved.have)}`);
  assert.ok(count(onDisk) > queued.piecesDone, 'writes were still in flight at stop');
  assert.deepEqual(saved.have, onDisk, 'every piece written, and only those, is in the resume file');
});
