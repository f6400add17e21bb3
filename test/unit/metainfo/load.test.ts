import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTorrentFile, MAX_TORRENT_BYTES } from '../../../src/metainfo/metainfo.js';
import { MetainfoError, UsageError } from '../../../src/util/errors.js';
import { fixture } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';

test('loadTorrentFile: one sentence naming the file for each bad input', async (t) => {
  const dir = tempDir(t);
  const p = (n: string): string => join(dir, n);
  mkdirSync(p('folder'));
  writeFileSync(p('empty.torrent'), '');
  writeFileSync(p('random.torrent'), Buffer.from('7b2a8c1d00ff13a5', 'hex'));
  writeFileSync(p('text.torrent'), 'hello world\n');
  const good = readFileSync(fixture('multi.torrent'));
  writeFileSync(p('truncated.torrent'), good.subarray(0, good.length - 30));
  writeFileSync(p('list.torrent'), 'le');
  writeFileSync(p('huge.torrent'), '');
  truncateSync(p('huge.torrent'), MAX_TORRENT_BYTES + 1);
  execFileSync('mkfifo', [p('fifo.torrent')]);
  const cases: Array<[string, typeof UsageError | typeof MetainfoError, RegExp]> = [
    ['missing.torrent', UsageError, /missing\.torrent does not exist$/],
    ['folder', UsageError, /folder is a folder, not a \.torrent file$/],
    ['empty.torrent', UsageError, /empty\.torrent is empty, not a \.torrent file$/],
    ['random.torrent', MetainfoError, /random\.torrent is not a \.torrent file \(unexpected byte 0x7b at byte 0\)$/],
    ['text.torrent', MetainfoError, /text\.torrent is not a \.torrent file/],
    ['truncated.torrent', MetainfoError, /truncated\.torrent is truncated or not a \.torrent file/],
    ['list.torrent', MetainfoError, /list\.torrent is not a valid torrent: .*not a dictionary/],
    ['huge.torrent', UsageError, /larger than the 10485760-byte limit/],
    // a FIFO with no writer: must fail at once, not wait forever
    ['fifo.torrent', UsageError, /fifo\.torrent is not a regular file$/],
  ];
  for (const [name, cls, re] of cases) {
    await assert.rejects(loadTorrentFile(p(name)), (e: unknown) => {
      assert.ok(e instanceof cls, `${name}: ${String(e)}`);
      assert.match((e as Error).message, re);
      assert.ok(!(e as Error).message.includes('\n'));
      return true;
    });
  }
});
