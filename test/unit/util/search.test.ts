import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { lastAtMost } from '../../../src/util/search.js';

test('lastAtMost: the last start at or below the value, as a linear scan finds it', () => {
  assert.equal(lastAtMost([0, 10, 20], 0), 0);
  assert.equal(lastAtMost([0, 10, 20], 9), 0);
  assert.equal(lastAtMost([0, 10, 20], 10), 1);
  assert.equal(lastAtMost([0, 10, 20], 1e9), 2);
  assert.equal(lastAtMost([5], 0), 0, 'below them all: 0');
  fc.assert(
    fc.property(fc.array(fc.nat(1000), { minLength: 1, maxLength: 50 }), fc.nat(1100), (xs, v) => {
      const starts = [...new Set(xs)].sort((a, b) => a - b);
      let want = 0;
      starts.forEach((s, i) => {
        if (s <= v) want = i;
      });
      assert.equal(lastAtMost(starts, v), want);
    }),
  );
});
