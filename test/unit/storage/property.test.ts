import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { PieceLayout } from '../../../src/metainfo/layout.js';
import { PieceStorage } from '../../../src/storage/storage.js';
import { tempDir } from '../../helpers/tmp.js';
import { TestBackend } from './backends.js';
import { fileOf, pieceOf, torrentBytes } from './data.js';

const fileArb = fc.record({ length: fc.integer({ min: 0, max: 40 }), pad: fc.boolean(), selected: fc.boolean() });

test('any layout, any order, any cap: bytes land where they belong and the cap holds', async (t) => {
  const base = tempDir(t);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fileArb, { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 17 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 2 ** 31 }),
      async (files, pieceLength, cap, seed) => {
        const root = join(base, String(run++));
        const layout = new PieceLayout(
          files.map((f, i) => ({ path: ['t', `d${i % 3}`, `f${i}`], length: f.length, pad: f.pad })),
          pieceLength,
        );
        fc.pre(layout.pieceCount > 0);
        const data = torrentBytes(layout, seed);
        const backend = new TestBackend();
        const selected = (i: number) => files[i]!.selected;
        const st = new PieceStorage({ root, layout, backend, maxOpenFiles: cap, selected });
        try {
          const order = Array.from({ length: layout.pieceCount }, (_, i) => i).sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
          await Promise.all(order.map((i) => st.writePiece(i, pieceOf(layout, data, i))));
          const reads = await Promise.all(order.map((i) => st.read(i, 0, layout.pieceSize(i))));
          order.forEach((i, k) => assert.deepEqual(reads[k], pieceOf(layout, data, i)));
          await st.ensureFiles();
          layout.files.forEach((f, i) => {
            const p = join(root, ...f.path);
            if (f.pad || !files[i]!.selected) assert.ok(!existsSync(p), `file ${i} must not exist`);
            else assert.deepEqual(readFileSync(p), fileOf(layout, data, i));
          });
          assert.ok(backend.maxOpenNow <= cap, `cap ${cap}, saw ${backend.maxOpenNow}`);
        } finally {
          await st.close();
        }
        assert.equal(backend.openNow, 0);
      },
    ),
    { numRuns: 60 },
  );
});
