import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { decode, decodeDetailed, encode, isDict, type BDict, type BValue } from '../../../src/bencode/index.js';
import { BencodeError } from '../../../src/util/errors.js';

const b = (s: string) => Buffer.from(s, 'latin1');

function rejects(input: string | Buffer, code: string, limits?: Parameters<typeof decode>[1]) {
  const bytes = typeof input === 'string' ? b(input) : input;
  assert.throws(
    () => decode(bytes, limits),
    (e: unknown) => e instanceof BencodeError && e.code === code,
    `expected ${code} for ${bytes.subarray(0, 40).toString('latin1')}`,
  );
}

test('decodes integers, strings, lists and dictionaries', () => {
  const v = decode(b('d4:listli1ei-2e0:e3:num0:3:str3:abce')) as BDict;
  assert.deepEqual(v.list, [1, -2, Buffer.alloc(0)]);
  assert.deepEqual(v.num, Buffer.alloc(0));
  assert.deepEqual(v.str, b('abc'));
  assert.equal(decode(b('i0e')), 0);
  assert.equal(decode(b('i9007199254740991e')), Number.MAX_SAFE_INTEGER);
  assert.equal(decode(b('i-42e')), -42);
});

test('rejects non-canonical and malformed integers', () => {
  rejects('i03e', 'NON_CANONICAL');
  rejects('i-0e', 'NON_CANONICAL');
  rejects('i1.5e', 'BAD_INTEGER');
  rejects('ie', 'BAD_INTEGER');
  rejects('i-e', 'BAD_INTEGER');
  rejects('i+1e', 'BAD_INTEGER');
  rejects('i12', 'TRUNCATED');
  rejects('i9007199254740992e', 'INTEGER_RANGE');
  rejects('i99999999999999999999999e', 'INTEGER_RANGE');
});

test('rejects bad string lengths', () => {
  rejects('-3:abc', 'BAD_TOKEN');
  rejects('l-3:e', 'BAD_TOKEN');
  rejects('03:abc', 'NON_CANONICAL');
  rejects('5:abc', 'TRUNCATED');
  rejects('99999999999999:x', 'TRUNCATED');
  rejects('3abc', 'BAD_INTEGER');
});

test('rejects structural errors and trailing data', () => {
  rejects('', 'EMPTY');
  rejects('l', 'TRUNCATED');
  rejects('d3:keye', 'MISSING_VALUE');
  rejects('d3:key', 'MISSING_VALUE');
  rejects('di1ei2ee', 'BAD_KEY');
  rejects('d1:ai1e1:ai2ee', 'DUPLICATE_KEY');
  rejects('i1ei2e', 'TRAILING');
  rejects('x', 'BAD_TOKEN');
  rejects('le ', 'TRAILING');
});

test('errors carry the byte offset', () => {
  try {
    decode(b('li1ei01ee'));
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof BencodeError);
    assert.equal(e.offset, 4);
    assert.match(e.message, /at byte 4/);
  }
});

test('enforces depth, size and token limits', () => {
  rejects('l'.repeat(101) + 'e'.repeat(101), 'TOO_DEEP');
  assert.deepEqual(decode(b('l'.repeat(100) + 'e'.repeat(100))) !== undefined, true);
  rejects('l'.repeat(200_000) + 'e'.repeat(200_000), 'TOO_DEEP');
  rejects('le', 'TOO_LARGE', { maxBytes: 1 });
  rejects('li1ei2ei3ee', 'TOO_MANY_TOKENS', { maxTokens: 3 });
  rejects('d1:ai1e1:bi2ee', 'TOO_MANY_TOKENS', { maxTokens: 3 });
});

test('__proto__ is an ordinary key and prototypes stay untouched', () => {
  const v = decode(b('d9:__proto__d5:admini1eee'));
  assert.ok(isDict(v));
  assert.equal(Object.getPrototypeOf(v), null);
  assert.equal((v as BDict).admin, undefined);
  assert.ok(isDict((v as BDict)['__proto__']));
  assert.equal(({} as Record<string, unknown>).admin, undefined);
});

test('keys are latin1 strings that round-trip to raw bytes', () => {
  const raw = Buffer.from([0xff, 0x00, 0x80, 0x41]);
  const input = Buffer.concat([b('d4:'), raw, b('i1ee')]);
  const v = decode(input) as BDict;
  const [key] = Object.keys(v);
  assert.deepEqual(Buffer.from(key!, 'latin1'), raw);
  assert.deepEqual(encode(v), input);
});

test('reports unsorted keys and byte spans without re-encoding', () => {
  const input = b('d4:infod1:zi1e1:ai2ee3:zzzi0ee');
  const d = decodeDetailed(input);
  assert.equal(d.unsortedDicts, 1);
  const info = (d.value as BDict).info!;
  const span = d.spanOf(info)!;
  assert.equal(input.subarray(span.start, span.end).toString('latin1'), 'd1:zi1e1:ai2ee');
  // re-encoding would sort the keys and so change the bytes (and the info hash)
  assert.notDeepEqual(encode(info), input.subarray(span.start, span.end));
});

test('allowTrailing stops after the first value', () => {
  const d = decodeDetailed(b('d8:msg_typei1eeRAWDATA'), { allowTrailing: true });
  assert.equal(d.end, 15);
  assert.equal((d.value as BDict).msg_type, 1);
});

const bvalue: fc.Arbitrary<BValue> = fc.letrec<{ v: BValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
    fc.array(tie('v'), { maxLength: 5 }),
    fc
      .dictionary(fc.string({ maxLength: 8 }).map((s) => Buffer.from(s, 'utf8').toString('latin1')), tie('v'), {
        maxKeys: 5,
      })
      .map((o) => Object.assign(Object.create(null) as BDict, o)),
  ),
})).v;

test('property: decode(encode(v)) equals v, and canonical input re-encodes to itself', () => {
  fc.assert(
    fc.property(bvalue, (v) => {
      const bytes = encode(v);
      const back = decode(bytes);
      assert.deepEqual(back, v);
      assert.deepEqual(encode(back), bytes);
    }),
    { numRuns: 500 },
  );
});

test('property: random bytes give a value or a BencodeError, nothing else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (u) => {
      try {
        decode(Buffer.from(u));
      } catch (e) {
        assert.ok(e instanceof BencodeError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});

test('why we do not decode untrusted bytes with the bencode package', async (t) => {
  // data: URLs cannot resolve bare specifiers, so hand the worker an absolute URL
  const pkgUrl = import.meta.resolve('bencode');
  const patched = (hex: string, ms: number) => packageDecodeAt(pkgUrl, hex, ms);

  await t.test('l-3:e hangs the package; ours rejects it at once', async () => {
    assert.equal(await patched(b('l-3:e').toString('hex'), 1000), 'hung');
    const t0 = performance.now();
    rejects('l-3:e', 'BAD_TOKEN');
    assert.ok(performance.now() - t0 < 50);
  });
  await t.test('deep nesting overflows the package stack; ours stops at depth 100', async () => {
    const deep = b('l'.repeat(100_000) + 'e'.repeat(100_000)).toString('hex');
    assert.equal(await patched(deep, 5000), 'threw RangeError');
    rejects('l'.repeat(100_000) + 'e'.repeat(100_000), 'TOO_DEEP');
  });
  await t.test('__proto__ changes the prototype of the package result; not ours', async () => {
    const { default: bencode } = await import('bencode');
    const theirs = bencode.decode(b('d9:__proto__d5:admini1eee')) as Record<string, unknown>;
    assert.equal(theirs.admin, 1);
    const ours = decode(b('d9:__proto__d5:admini1eee')) as BDict;
    assert.equal(ours.admin, undefined);
  });
});

/** Runs the `bencode` package's decoder in a worker that we can kill if it hangs. */
function packageDecodeAt(pkgUrl: string, hexInput: string, ms: number): Promise<string> {
  const src = `
    import { parentPort, workerData } from 'node:worker_threads';
    const { default: bencode } = await import(${JSON.stringify(pkgUrl)});
    try { bencode.decode(Buffer.from(workerData, 'hex')); parentPort.postMessage('returned'); }
    catch (e) { parentPort.postMessage('threw ' + e.constructor.name); }`;
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(src)}`), { workerData: hexInput });
    const timer = setTimeout(() => {
      void w.terminate();
      resolve('hung');
    }, ms);
    w.once('message', (m: string) => {
      clearTimeout(timer);
      void w.terminate();
      resolve(m);
    });
    w.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
