import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePieceLength } from '../../../src/cli/create.js';
import { UsageError } from '../../../src/util/errors.js';

test('--piece-length takes bytes or K/M suffixes, powers of two from 16K to 256M', () => {
  assert.equal(parsePieceLength('16384'), 16384);
  assert.equal(parsePieceLength('256K'), 262144);
  assert.equal(parsePieceLength('256kib'), 262144);
  assert.equal(parsePieceLength('1M'), 1048576);
  assert.equal(parsePieceLength('4 MiB'), 4194304);
  assert.equal(parsePieceLength('256M'), 268435456);
  for (const bad of ['8K', '512M', '100000', '1.5M', 'big', '', '-16K', '1G']) {
    assert.throws(() => parsePieceLength(bad), (e: unknown) => e instanceof UsageError && /--piece-length/.test(e.message), bad);
  }
});
