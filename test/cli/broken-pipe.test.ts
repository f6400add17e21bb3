import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture, swarmEntry } from '../helpers/paths.js';
import { startSwarm } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { createTorrent, MiB, writeFiles } from './torrent-helpers.js';

/** What a crash on an unhandled 'error' event prints. */
const STACK = /Unhandled 'error' event|Error: write EPIPE|^\s+at /m;

test('a command whose stdout nobody reads (| head) ends normally, without a stack trace', async () => {
  const child = spawn(process.execPath, [swarmEntry(), 'info', fixture('single.torrent')], { stdio: ['ignore', 'pipe', 'pipe'] });
  // the reader goes away before the command has even started: its one write fails with EPIPE
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, STACK);
});

test('swarm seed --json stops cleanly (exit 141, as for SIGPIPE) once the reader of its events goes away', async (t) => {
  const dir = tempDir(t);
  writeFiles(join(dir, 'd'), { 'piped.bin': 1 * MiB });
  const torrent = await createTorrent(join(dir, 'd', 'piped.bin'), join(dir, 't.torrent'), ['--piece-length', '32K']);
  const seeder = startSwarm(['seed', torrent, join(dir, 'd'), '--port', '0', '--no-trackers', '--json']);
  t.after(() => seeder.stop('SIGKILL'));
  await seeder.waitFor(/"event":"checked"/, 20_000);
  // its next event (progress, once a second) goes to a pipe nobody reads
  seeder.child.stdout!.destroy();
  const { code } = await seeder.wait(15_000);
  assert.equal(code, 141, seeder.stderr);
  assert.doesNotMatch(seeder.stderr, STACK);
});
