import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Proc, runSwarm } from '../helpers/proc.js';
import { swarmEntry } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

function payload(dir: string): string {
  const root = join(dir, 'My Data');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'a.txt'), 'hello world\n');
  writeFileSync(join(root, '.hidden'), 'secret');
  writeFileSync(join(root, 'sub', 'b.bin'), Buffer.alloc(40000, 7));
  writeFileSync(join(root, 'empty'), '');
  symlinkSync('a.txt', join(root, 'link.txt'));
  return root;
}

test('swarm create writes a torrent, prints the info hash and magnet; swarm info agrees', async (t) => {
  const dir = tempDir(t);
  const root = payload(dir);
  const out = join(dir, 'out.torrent');
  const r = await runSwarm([
    'create', root, '--announce', 'http://127.0.0.1:6969/announce', '--announce', 'udp://127.0.0.1:6969',
    '-o', out, '--piece-length', '16K', '--private', '--comment', 'a comment', '--web-seed', 'http://127.0.0.1:8000/',
    '--created-by', 'tester', '--no-date',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const hash = /^info hash {2}([0-9a-f]{40})$/m.exec(r.stdout)?.[1];
  assert.ok(hash, r.stdout);
  assert.match(r.stdout, new RegExp(`^magnet {5}magnet:\\?xt=urn:btih:${hash}&dn=My%20Data&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce&tr=udp`, 'm'));
  assert.match(r.stdout, /^wrote {6}.*out\.torrent \(4 files, 39\.1 KiB, 3 pieces of 16\.0 KiB/m);
  assert.match(r.stderr, /skipped symlink link\.txt \(symlinks are not followed\)/);
  // not a TTY: a plain progress line instead of a bar
  assert.match(r.stderr, /hashing 100\.0% 39\.1 KiB \/ 39\.1 KiB/);

  const info = await runSwarm(['info', '--json', out]);
  assert.equal(info.code, 0, info.stderr);
  const j = JSON.parse(info.stdout) as Record<string, unknown>;
  assert.equal(j.infoHash, hash);
  assert.equal(j.name, 'My Data');
  assert.equal(j.private, true);
  assert.equal(j.comment, 'a comment');
  assert.equal(j.createdBy, 'tester');
  assert.equal(j.creationDate, null);
  assert.deepEqual(j.trackers, [['http://127.0.0.1:6969/announce'], ['udp://127.0.0.1:6969']]);
  assert.deepEqual(j.webSeeds, ['http://127.0.0.1:8000/']);
  assert.deepEqual(
    (j.files as Array<{ path: string }>).map((f) => f.path),
    ['My Data/.hidden', 'My Data/a.txt', 'My Data/empty', 'My Data/sub/b.bin'],
  );
});

test('--no-date output is byte-identical; an existing file needs --force; no tracker unless given', async (t) => {
  const dir = tempDir(t);
  const root = payload(dir);
  const a = join(dir, 'a.torrent');
  const first = await runSwarm(['create', root, '-o', a, '--no-date', '--created-by', 'x', '-q']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout + first.stderr, '');
  const bytes = readFileSync(a);
  assert.ok(!bytes.includes('announce'));
  const again = await runSwarm(['create', root, '-o', a, '--no-date', '--created-by', 'x']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^swarm: .*a\.torrent already exists/);
  const forced = await runSwarm(['create', root, '-o', a, '--no-date', '--created-by', 'x', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /no --announce given/);
  assert.ok(readFileSync(a).equals(bytes));
  // default output: <name>.torrent in the working folder
  const cwd = await runSwarm(['create', root, '--no-date'], { cwd: dir });
  assert.equal(cwd.code, 0, cwd.stderr);
  assert.ok(existsSync(join(dir, 'My Data.torrent')));
});

test('--json: NDJSON, the last line the result', async (t) => {
  const dir = tempDir(t);
  const root = payload(dir);
  const r = await runSwarm(['create', root, '-o', join(dir, 'j.torrent'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const last = events.at(-1)!;
  assert.equal(last.event, 'created');
  assert.match(String(last.infoHash), /^[0-9a-f]{40}$/);
  assert.equal(last.files, 4);
  assert.equal(last.pieceLength, 16384);
  assert.deepEqual(last.skippedSymlinks, ['link.txt']);
  assert.ok(events.slice(0, -1).every((e) => e.event === 'hashing'));
});

test('bad input: exit 2, one sentence', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'f'), 'x');
  const cases: Array<[string[], RegExp]> = [
    [['create', join(dir, 'missing')], /missing does not exist/],
    [['create', join(dir, 'empty'), '-o', join(dir, 'e.torrent')], /is an empty file/],
    [['create', join(dir, 'f'), '-o', join(dir, 'x.torrent'), '--piece-length', '1000'], /--piece-length "1000" is not a power of two/],
    [['create', join(dir, 'f'), '-o', join(dir, 'x.torrent'), '--announce', 'nonsense'], /"nonsense" is not a valid tracker URL/],
    [['create', join(dir, 'f'), '-o', join(dir, 'x.torrent'), '--threads', '0'], /--threads "0"/],
  ];
  for (const [args, re] of cases) {
    const r = await runSwarm(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  assert.ok(!existsSync(join(dir, 'x.torrent')));
});

test('Ctrl-C while hashing: exit 130, no torrent written', async (t) => {
  const dir = tempDir(t);
  const big = join(dir, 'big');
  writeFileSync(big, '');
  truncateSync(big, 16 * 1024 ** 3); // sparse: reads as zeros, takes seconds to hash
  const out = join(dir, 'big.torrent');
  const p = new Proc(process.execPath, [swarmEntry(), 'create', big, '-o', out, '--json', '--threads', '1']);
  t.after(() => p.stop('SIGKILL'));
  await p.waitFor(/"event":"hashing"/, 30_000);
  process.kill(p.pid!, 'SIGINT');
  const { code } = await p.wait(15_000);
  assert.equal(code, 130, p.stderr);
  assert.match(p.stderr, /interrupted; no torrent written/);
  assert.ok(!existsSync(out));
});
