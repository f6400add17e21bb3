import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PieceLayout } from '../../../src/metainfo/layout.js';
import { isDiskFull, ResumeReserve } from '../../../src/storage/resume-reserve.js';
import { tempDir } from '../../helpers/tmp.js';
import { TestBackend } from './backends.js';

const IH = 'ab'.repeat(20);
const layout = (pieces: number, files = 1) =>
  new PieceLayout(
    Array.from({ length: files }, (_, i) => ({ path: ['t', `f${i}`], length: (pieces * 16384) / files })),
    16384,
  );

test('the reserve: whole 4 KiB blocks, twice the largest resume file; ensure is idempotent, release says whether there was one', async (t) => {
  const root = tempDir(t);
  const r = new ResumeReserve(root, IH, layout(8));
  const path = join(root, '.swarm', `${IH}.reserve`);
  assert.equal(await r.release(), false, 'nothing to release yet');
  await r.ensure();
  assert.equal(statSync(path).size, 4096);
  const mtime = statSync(path).mtimeMs;
  await r.ensure();
  assert.equal(statSync(path).mtimeMs, mtime, 'an existing reserve is left alone');
  assert.equal(await r.release(), true);
  assert.ok(!existsSync(path));
  // a torrent with a million pieces and a thousand files needs more room
  const big = new ResumeReserve(root, IH, layout(1 << 20, 1024));
  await big.ensure();
  const want = Math.ceil((2 * (1024 + (1 << 20) / 8 + 64 * 1024)) / 4096) * 4096;
  assert.equal(statSync(path).size, want);
});

test('a disk already full: no reserve, no half-written file, no error', async (t) => {
  const root = tempDir(t);
  const backend = new TestBackend();
  backend.diskBytes = 1000;
  const r = new ResumeReserve(root, IH, layout(8), backend);
  await r.ensure();
  assert.deepEqual(readdirSync(join(root, '.swarm')), []);
  assert.ok(isDiskFull({ code: 'ENOSPC' }) && isDiskFull({ code: 'EDQUOT' }) && !isDiskFull({ code: 'EIO' }) && !isDiskFull(null));
});
