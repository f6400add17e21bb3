import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { type Proc, runSwarm, startSwarm } from '../helpers/proc.js';

/** Helpers for the download and seed CLI tests: real files, real processes, 127.0.0.1 only. */

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** Writes random files (relative path -> size) under `dir`; returns their contents. */
export function writeFiles(dir: string, files: Record<string, number>): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [rel, size] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    out[rel] = randomBytes(size);
    writeFileSync(p, out[rel]);
  }
  return out;
}

/** `swarm create` into `out`; fails the test if it fails. */
export async function createTorrent(path: string, out: string, extra: string[] = []): Promise<string> {
  const r = await runSwarm(['create', path, '-o', out, '--no-date', '-q', ...extra], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return out;
}

export interface Seeder {
  proc: Proc;
  port: number;
}

/**
 * `swarm seed` on a free port (unless `args` name one), stopped by PID when the test ends;
 * resolves once the data is verified and the port is known.
 */
export async function startSeeder(t: TestContext, torrent: string, path: string, args: string[] = []): Promise<Seeder> {
  const withPort = args.includes('--port') ? args : ['--port', '0', ...args];
  const proc = startSwarm(['seed', torrent, path, ...withPort]);
  t.after(() => proc.stop('SIGKILL'));
  if (args.includes('--json')) {
    await proc.waitFor(/"event":"checked"/, 20_000);
    return { proc, port: ndjson(proc.stdout)[0]!.port as number };
  }
  const m = await proc.waitFor(/listening on 127\.0\.0\.1:(\d+)/, 20_000);
  await proc.waitFor(/serving until Ctrl-C|--partial: seeding/, 20_000);
  return { proc, port: Number(m[1]) };
}

/** NDJSON lines: every line must parse as one JSON object. */
export function ndjson(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const v = JSON.parse(l) as unknown;
      assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `not an object: ${l}`);
      return v as Record<string, unknown>;
    });
}

export function sameBytes(path: string, expected: Buffer): boolean {
  return readFileSync(path).equals(expected);
}

/** Waits until the process has printed a JSON event matching `pred`. */
export async function waitForEvent(p: Proc, pred: (e: Record<string, unknown>) => boolean, ms = 20_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const lines = p.stdout.split('\n').slice(0, -1);
    for (const l of lines) {
      const e = JSON.parse(l) as Record<string, unknown>;
      if (pred(e)) return e;
    }
    if (!p.running) throw new Error(`process exited before the event:\n${p.stdout}\n${p.stderr}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for an event:\n${p.stdout}\n${p.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The one line of stderr an error gives: "swarm: ..." with no stack trace. */
export function oneSentence(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0]!, /^swarm: /);
  assert.doesNotMatch(stderr, /\n\s+at /);
  return lines[0]!;
}
