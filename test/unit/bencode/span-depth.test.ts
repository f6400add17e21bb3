import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeDetailed, type BDict, type BList } from '../../../src/bencode/decode.js';

test('spanDepth keeps spans down to that depth only', () => {
  const input = Buffer.from('d4:infod5:filesld1:ai1eeee1:zi0ee', 'latin1');
  const d = decodeDetailed(input, { spanDepth: 1 });
  const root = d.value as BDict;
  const info = root.info as BDict;
  const files = info.files as BList;
  assert.deepEqual(d.spanOf(root), { start: 0, end: input.length });
  const span = d.spanOf(info)!;
  assert.equal(input.subarray(span.start, span.end).toString('latin1'), 'd5:filesld1:ai1eeee');
  assert.equal(d.spanOf(files), undefined, 'depth 2: no span kept');
  assert.equal(d.spanOf(files[0]!), undefined);
  // the default keeps every span; spans: false none
  const all = decodeDetailed(input);
  assert.ok(all.spanOf(((all.value as BDict).info as BDict).files!));
  const none = decodeDetailed(input, { spans: false });
  assert.equal(none.spanOf(none.value), undefined);
});

test('a million tiny values with spans only at depth 1 decode (and fail on the token cap) fast', () => {
  const bomb = Buffer.concat([Buffer.from('d4:infol'), Buffer.alloc(4_000_000, '0:'), Buffer.from('ee')]);
  const cpu = process.cpuUsage();
  assert.throws(() => decodeDetailed(bomb, { spanDepth: 1 }), /more than 1000000 values/);
  const used = process.cpuUsage(cpu);
  const ms = (used.user + used.system) / 1000;
  assert.ok(ms < 1500, `took ${ms.toFixed(0)} ms of CPU`);
});
