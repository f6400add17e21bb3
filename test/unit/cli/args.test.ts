import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatHostPort, parseBind, parsePeer, parsePort, parsePositive, parseRate } from '../../../src/cli/args.js';
import { UsageError } from '../../../src/util/errors.js';

const usage = (flag: string) => (e: unknown) => e instanceof UsageError && e.input && e.message.startsWith(flag) && !e.message.includes('\n');

test('rates: bytes per second, k/M/G in powers of 1024, optional B, iB and /s', () => {
  assert.equal(parseRate('--upload-limit', '1000'), 1000);
  assert.equal(parseRate('--upload-limit', '500k'), 500 * 1024);
  assert.equal(parseRate('--upload-limit', '500K'), 500 * 1024);
  assert.equal(parseRate('--upload-limit', '500KiB'), 500 * 1024);
  assert.equal(parseRate('--upload-limit', '500kb/s'), 500 * 1024);
  assert.equal(parseRate('--upload-limit', '1M'), 1024 ** 2);
  assert.equal(parseRate('--upload-limit', '1.5M'), 1.5 * 1024 ** 2);
  assert.equal(parseRate('--upload-limit', '2G'), 2 * 1024 ** 3);
  assert.equal(parseRate('--upload-limit', ' 2 MiB/s '), 2 * 1024 ** 2);
  assert.equal(parseRate('--upload-limit', '0'), 0);
  for (const bad of ['', 'fast', '-1', '1T', '5q', '1e6', '0.0001', '1,5M', 'M', '1 M B', 'Infinity', '9'.repeat(400)]) {
    assert.throws(() => parseRate('--download-limit', bad), usage('--download-limit'), bad);
  }
});

test('peers: host:port and [v6]:port', () => {
  assert.deepEqual(parsePeer('127.0.0.1:6881'), { host: '127.0.0.1', port: 6881 });
  assert.deepEqual(parsePeer('[::1]:51413'), { host: '::1', port: 51413 });
  assert.deepEqual(parsePeer('localhost:1'), { host: 'localhost', port: 1 });
  assert.deepEqual(parsePeer('seed.example.org:65535'), { host: 'seed.example.org', port: 65535 });
  for (const bad of ['127.0.0.1', '127.0.0.1:', ':6881', '127.0.0.1:0', '127.0.0.1:65536', '::1:6881', '[::1]', '[nothex]:1', 'a b:1', 'h:1:2', '-x:1', '999.1.1.1:5', '1.2.3:5', '127.0.0.1.:5', '']) {
    assert.throws(() => parsePeer(bad), usage('--peer'), bad);
  }
  assert.equal(formatHostPort({ host: '::1', port: 5 }), '[::1]:5');
  assert.equal(formatHostPort({ host: '127.0.0.1', port: 5 }), '127.0.0.1:5');
});

test('ports, listening addresses and positive numbers', () => {
  assert.equal(parsePort('--port', '0'), 0);
  assert.equal(parsePort('--port', '6881'), 6881);
  assert.equal(parsePort('--port', '65535'), 65535);
  for (const bad of ['-1', '65536', 'x', '', '1.5', '123456']) assert.throws(() => parsePort('--port', bad), usage('--port'), bad);
  assert.equal(parseBind('127.0.0.1'), '127.0.0.1');
  assert.equal(parseBind('::1'), '::1');
  assert.equal(parseBind('[::1]'), '::1');
  assert.equal(parseBind('0.0.0.0'), '0.0.0.0');
  assert.equal(parseBind('localhost'), 'localhost');
  for (const bad of ['', 'a b', '1.2.3.4:5', '-host']) assert.throws(() => parseBind(bad), usage('--bind'), bad);
  assert.equal(parsePositive('--seed-ratio', '1.5'), 1.5);
  assert.equal(parsePositive('--seed-time', '30'), 30);
  for (const bad of ['0', '-1', 'x', '', '0.0', '1e3']) assert.throws(() => parsePositive('--seed-ratio', bad), usage('--seed-ratio'), bad);
});
