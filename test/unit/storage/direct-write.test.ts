import assert from 'node:assert/strict';
import { constants, openSync, closeSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import test from 'node:test';
import { nodeBackend } from '../../../src/storage/fs-backend.js';
import { PAGE_BYTES, allocPageAligned } from '../../../src/util/aligned.js';
import { tempDir } from '../../helpers/tmp.js';

const O_DIRECT = (constants as { O_DIRECT?: number }).O_DIRECT ?? 0;

/** Whether this folder's file system takes O_DIRECT at all (tmpfs before Linux 6.6 does not). */
function directWorksIn(dir: string): boolean {
  if (!O_DIRECT) return false;
  const p = join(dir, 'probe');
  writeFileSync(p, '');
  try {
    closeSync(openSync(p, constants.O_WRONLY | O_DIRECT));
    return true;
  } catch {
    return false;
  }
}

/** Open descriptors of this process on `path` that have O_DIRECT set (Linux /proc). */
function directDescriptors(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== path) continue;
      const flags = /flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (flags && (parseInt(flags[1]!, 8) & O_DIRECT) !== 0) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

test('aligned writes bypass the page cache, unaligned ones do not, and the file holds all of them', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'data.bin');
  const h = await nodeBackend.open(path, 'readwrite');
  const expected = Buffer.alloc(4 * PAGE_BYTES + 300);
  try {
    // an unaligned tail first (like a short last piece), then aligned pieces around it
    const tail = randomBytes(300);
    assert.equal(await h.write(tail, 0, 300, 4 * PAGE_BYTES), 300);
    tail.copy(expected, 4 * PAGE_BYTES);
    assert.equal(directDescriptors(path), 0, 'nothing aligned written yet');

    const a = allocPageAligned(2 * PAGE_BYTES);
    randomBytes(a.length).copy(a);
    assert.equal(await h.write(a, 0, a.length, 2 * PAGE_BYTES), a.length);
    a.copy(expected, 2 * PAGE_BYTES);

    const b = allocPageAligned(2 * PAGE_BYTES);
    randomBytes(b.length).copy(b);
    assert.equal(await h.writev!([b.subarray(0, PAGE_BYTES), b.subarray(PAGE_BYTES)], 0), b.length);
    b.copy(expected, 0);

    if (process.platform === 'linux' && directWorksIn(dir)) assert.equal(directDescriptors(path), 1, 'one O_DIRECT descriptor');

    // an aligned buffer at an unaligned file offset goes the ordinary way, and overwrites correctly
    const c = allocPageAligned(PAGE_BYTES);
    c.fill(0x5a);
    assert.equal(await h.write(c, 0, 100, 1000), 100);
    c.copy(expected, 1000, 0, 100);

    const back = Buffer.alloc(expected.length);
    assert.equal(await h.read(back, 0, back.length, 0), expected.length);
    assert.ok(back.equals(expected), 'read through the same handle');
    await h.sync();
  } finally {
    await h.close();
  }
  assert.ok(readFileSync(path).equals(expected), 'read fresh from the file');
  assert.equal(directDescriptors(path), 0, 'close closes the direct descriptor too');
});

test('a read-only handle never opens a direct descriptor', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'r.bin');
  writeFileSync(path, Buffer.alloc(PAGE_BYTES, 1));
  const h = await nodeBackend.open(path, 'read');
  try {
    const buf = allocPageAligned(PAGE_BYTES);
    assert.equal(await h.read(buf, 0, PAGE_BYTES, 0), PAGE_BYTES);
    assert.equal(buf[0], 1);
    assert.equal(directDescriptors(path), 0);
  } finally {
    await h.close();
  }
});
