import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { parseOptions } from '../../bench/options.js';

test('defaults: 5 rounds of 1024 MiB, every run and part, big only when asked', () => {
  const o = parseOptions([])!;
  assert.equal(o.rounds, 5);
  assert.equal(o.sizeMiB, 1024);
  assert.deepEqual(o.letters, ['a', 'b', 'c', 'd']);
  assert.deepEqual(o.scenarioKeys, ['one', 'four', 'small']);
  assert.deepEqual(o.parts, ['create', 'tracker', 'restart']);
  assert.equal(o.timeoutSec, 300);
  assert.equal(o.out, resolve('bench-results.json'));
  assert.deepEqual(parseOptions(['--big'])!.scenarioKeys, ['one', 'four', 'small', 'big']);
});

test('--quick is 256 MiB and 1 round unless told otherwise', () => {
  const q = parseOptions(['--quick'])!;
  assert.equal(q.sizeMiB, 256);
  assert.equal(q.rounds, 1);
  const q2 = parseOptions(['--quick', '--rounds', '2', '--size', '64'])!;
  assert.equal(q2.rounds, 2);
  assert.equal(q2.sizeMiB, 64);
});

test('--only: runs and scenarios fill in each other; parts only when named', () => {
  const ab = parseOptions(['--only', 'a,b'])!;
  assert.deepEqual(ab.letters, ['a', 'b']);
  assert.deepEqual(ab.scenarioKeys, ['one', 'four', 'small']);
  assert.deepEqual(ab.parts, []);
  const c = parseOptions(['--only', 'create'])!;
  assert.deepEqual(c.letters, []);
  assert.deepEqual(c.scenarioKeys, []);
  assert.deepEqual(c.parts, ['create']);
  const mix = parseOptions(['--only', 'four, c ,tracker'])!;
  assert.deepEqual(mix.letters, ['c']);
  assert.deepEqual(mix.scenarioKeys, ['four']);
  assert.deepEqual(mix.parts, ['tracker']);
  assert.deepEqual(parseOptions(['--only', 'b,c', '--big'])!.scenarioKeys, ['one', 'four', 'small', 'big']);
  assert.deepEqual(parseOptions(['--only', 'big'])!.scenarioKeys, ['big']);
});

test('bad usage is an error that names the option; --help is undefined', () => {
  assert.throws(() => parseOptions(['--only', 'a,e']), /--only: unknown item e/);
  assert.throws(() => parseOptions(['--rounds', '0']), /--rounds must be a whole number/);
  assert.throws(() => parseOptions(['--size', 'big']), /--size must be a whole number/);
  assert.throws(() => parseOptions(['--nope']));
  assert.equal(parseOptions(['--help']), undefined);
});
