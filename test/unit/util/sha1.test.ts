import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { digestIs, sha1, sha1Latin1 } from '../../../src/util/sha1.js';

const data = Buffer.from('swarm hashes every piece');
const expected = createHash('sha1').update(data).digest();

test('sha1 and sha1Latin1 give the same digest, as a Buffer and as a latin1 string', () => {
  assert.deepEqual(sha1(data), expected);
  const s = sha1Latin1(data);
  assert.equal(s.length, 20);
  assert.deepEqual(Buffer.from(s, 'latin1'), expected);
});

test('digestIs compares a latin1 digest with 20 bytes at an offset', () => {
  const table = Buffer.concat([Buffer.alloc(20, 7), expected, Buffer.alloc(20, 9)]);
  const s = sha1Latin1(data);
  assert.equal(digestIs(s, table, 20), true);
  assert.equal(digestIs(s, table, 0), false);
  assert.equal(digestIs(s, table, 40), false);
  // each byte counts, the last included
  for (const at of [0, 19]) {
    const other = Buffer.from(table);
    other[20 + at] ^= 1;
    assert.equal(digestIs(s, other, 20), false);
  }
  // out of range or not a digest: no match, no throw
  assert.equal(digestIs(s, table, 41), false);
  assert.equal(digestIs(s, table, -1), false);
  assert.equal(digestIs(s.slice(0, 19), table, 20), false);
});
