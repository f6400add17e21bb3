import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Bitfield } from '../../../src/wire/bitfield.js';
import { WireError } from '../../../src/util/errors.js';

const isWire = (code: string) => (e: unknown) => e instanceof WireError && e.code === code;

test('bits are most significant first', () => {
  const bf = new Bitfield(10);
  bf.set(0);
  bf.set(9);
  assert.deepEqual(bf.toBuffer(), Buffer.from([0x80, 0x40]));
  assert.deepEqual([...bf], [0, 9]);
  assert.equal(bf.count(), 2);
  assert.ok(bf.has(9) && !bf.has(8));
});

test('property: behaves like a set of indices and survives the wire', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 200 }),
      fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 300 }),
      (n, ops) => {
        const bf = new Bitfield(n);
        const model = new Set<number>();
        for (const [add, raw] of ops) {
          const i = raw % n;
          if (add) {
            bf.set(i);
            model.add(i);
          } else {
            bf.clear(i);
            model.delete(i);
          }
        }
        const sorted = [...model].sort((a, b) => a - b);
        assert.deepEqual([...bf], sorted);
        assert.equal(bf.count(), model.size);
        assert.equal(bf.isComplete(), model.size === n);
        const back = Bitfield.fromBuffer(bf.toBuffer(), n);
        assert.deepEqual([...back], sorted);
        assert.equal(back.count(), model.size);
        assert.equal(bf.toBuffer().length, Math.ceil(n / 8));
      },
    ),
  );
});

test('setAll sets every piece and no spare bit', () => {
  for (const n of [0, 1, 7, 8, 9, 16, 17, 1001]) {
    const bf = new Bitfield(n);
    bf.setAll();
    assert.equal(bf.count(), n);
    assert.ok(bf.isComplete());
    assert.equal([...bf].length, n);
    // fromBuffer checks the spare bits: it must accept what setAll produced
    assert.equal(Bitfield.fromBuffer(bf.toBuffer(), n).count(), n);
  }
  const bf = new Bitfield(10);
  bf.setAll();
  assert.deepEqual(bf.toBuffer(), Buffer.from([0xff, 0xc0]));
});

test('fromBuffer refuses a wrong length and set spare bits', () => {
  assert.throws(() => Bitfield.fromBuffer(Buffer.from([0xff]), 9), isWire('BAD_BITFIELD'));
  assert.throws(() => Bitfield.fromBuffer(Buffer.from([0xff, 0x80, 0x00]), 9), isWire('BAD_BITFIELD'));
  assert.throws(() => Bitfield.fromBuffer(Buffer.from([0xff, 0x40]), 9), isWire('BAD_BITFIELD'));
  assert.throws(() => Bitfield.fromBuffer(Buffer.from([0x01]), 7), isWire('BAD_BITFIELD'));
  assert.equal(Bitfield.fromBuffer(Buffer.from([0xff, 0x80]), 9).count(), 9);
  assert.equal(Bitfield.fromBuffer(Buffer.from([0xff]), 8).count(), 8);
  assert.equal(Bitfield.fromBuffer(Buffer.alloc(0), 0).count(), 0);
});

test('fromBuffer copies, toBuffer copies', () => {
  const src = Buffer.from([0x80]);
  const bf = Bitfield.fromBuffer(src, 8);
  src[0] = 0;
  assert.ok(bf.has(0));
  bf.toBuffer()[0] = 0;
  assert.ok(bf.has(0));
});

test('an index out of range throws (how callers reject a bad `have`)', () => {
  const bf = new Bitfield(10);
  for (const i of [-1, 10, 11, 1.5, NaN, 2 ** 32]) {
    assert.throws(() => bf.has(i), isWire('BAD_INDEX'), String(i));
    assert.throws(() => bf.set(i), isWire('BAD_INDEX'), String(i));
    assert.throws(() => bf.clear(i), isWire('BAD_INDEX'), String(i));
  }
  assert.throws(() => new Bitfield(-1), isWire('BAD_FIELD'));
  assert.equal(bf.count(), 0);
});
