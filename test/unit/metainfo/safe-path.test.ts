import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { diskName, MAX_COMPONENT_BYTES, safeComponent, truncateUtf8, unsafeReason } from '../../../src/metainfo/safe-path.js';
import { MetainfoError } from '../../../src/util/errors.js';

test('unsafeReason names what is wrong', () => {
  assert.equal(unsafeReason(Buffer.from('ok.txt')), undefined);
  assert.equal(unsafeReason(Buffer.from('...')), undefined);
  assert.match(unsafeReason(Buffer.from('..'))!, /"\.\."/);
  assert.match(unsafeReason(Buffer.from('.'))!, /"\."/);
  assert.match(unsafeReason(Buffer.alloc(0))!, /empty/);
  assert.match(unsafeReason(Buffer.from('a\0'))!, /NUL/);
  assert.match(unsafeReason(Buffer.from('a/b'))!, /separator/);
  assert.match(unsafeReason(Buffer.from('a\\b'))!, /separator/);
  assert.throws(() => safeComponent(Buffer.from('..'), 'info.files[2].path'), (e: unknown) => e instanceof MetainfoError && e.field === 'info.files[2].path');
});

test('truncation keeps whole characters and the extension', () => {
  const s = '\u00e9'.repeat(200) + '.flac';
  const t = truncateUtf8(s, 255);
  assert.ok(Buffer.byteLength(t) <= 255);
  assert.ok(t.endsWith('.flac'));
  assert.ok(!t.includes('\ufffd'));
  assert.equal(truncateUtf8('short', 255), 'short');
});

test('diskName never returns a name that escapes or is empty', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.boolean(), (s, windows) => {
      const d = diskName(s, { windows });
      assert.ok(d !== '' && d !== '.' && d !== '..');
      assert.ok(Buffer.byteLength(d) <= MAX_COMPONENT_BYTES);
      // eslint-disable-next-line no-control-regex
      assert.ok(!/[\x01-\x1f\x7f]/.test(d));
      if (windows) {
        assert.ok(!/[<>:"|?*]/.test(d));
        assert.ok(!/[. ]$/.test(d));
        assert.ok(!/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(d));
      }
    }),
  );
});
