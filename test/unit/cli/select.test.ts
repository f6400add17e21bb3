import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseSelect } from '../../../src/cli/select.js';
import { UsageError } from '../../../src/util/errors.js';

test('--select: numbers and ranges, sorted, each once', () => {
  assert.deepEqual(parseSelect('1-3,7', 10), [1, 2, 3, 7]);
  assert.deepEqual(parseSelect('7,1-3', 10), [1, 2, 3, 7]);
  assert.deepEqual(parseSelect('2', 2), [2]);
  assert.deepEqual(parseSelect(' 3 , 1 - 2 ,', 3), [1, 2, 3]);
  assert.deepEqual(parseSelect('1-3,2-4,4', 4), [1, 2, 3, 4]);
  assert.deepEqual(parseSelect('5-5', 5), [5]);
});

test('--select: a bad list is one sentence naming the flag, the value and what is wrong', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['', 3, /is empty/],
    [',', 3, /is empty/],
    ['0', 3, /names file 0, but the torrent has files 1 to 3/],
    ['4', 3, /names file 4/],
    ['2', 1, /the torrent has 1 file \(see --list\)/],
    ['1-9', 3, /names file 9/],
    ['3-1', 3, /runs backwards/],
    ['a', 3, /"a", which is not a file number/],
    ['1-', 3, /not a file number or a range/],
    ['-2', 3, /not a file number or a range/],
    ['1.5', 3, /not a file number/],
    ['1;2', 3, /not a file number/],
    ['1'.repeat(10_001), 3, /longer than/],
  ];
  for (const [spec, n, re] of cases) {
    assert.throws(
      () => parseSelect(spec, n),
      (e: unknown) => e instanceof UsageError && e.input && e.message.startsWith('--select ') && re.test(e.message) && !e.message.includes('\n'),
      JSON.stringify(spec),
    );
  }
});

test('--select: any set of files written as ranges parses back to the same set', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }).chain((n) => fc.tuple(fc.constant(n), fc.uniqueArray(fc.integer({ min: 1, max: n }), { minLength: 1 }))), ([n, picks]) => {
      const sorted = [...picks].sort((a, b) => a - b);
      // write runs of consecutive numbers as ranges, shuffled by reversing
      const parts: string[] = [];
      for (let i = 0; i < sorted.length; ) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
        parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
        i = j + 1;
      }
      assert.deepEqual(parseSelect(parts.reverse().join(','), n), sorted);
    }),
  );
});
