import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { createTorrent } from '../../../src/metainfo/create.js';
import type { Metainfo } from '../../../src/metainfo/metainfo.js';
import { scratchDir } from './cleanup.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A payload on disk and its torrent, written to a .torrent file the real clients can read. */
export interface Payload {
  /** Folder holding the data: the torrent's name is its one entry. */
  root: string;
  metainfo: Metainfo;
  torrentFile: string;
  /** Relative paths (torrent name first) and their bytes. */
  files: Record<string, Buffer>;
}

/**
 * One file of an odd size: the last piece is short and its last block shorter still.
 * 64 KiB pieces give about 50 pieces, enough for several seeders to share the work.
 */
export function singleFile(): Record<string, Buffer> {
  return { 'single.bin': randomBytes(3 * MiB + 12_345) };
}

/**
 * A folder with the shapes clients get wrong: a 0-byte file, a file smaller than a block,
 * files that end in the middle of a piece (so pieces span two or three files).
 */
export function multiFile(): Record<string, Buffer> {
  return {
    'multi/a.bin': randomBytes(MiB + 7),
    'multi/empty.txt': Buffer.alloc(0),
    'multi/sub/tiny.txt': randomBytes(100),
    'multi/sub/b.bin': randomBytes(2 * MiB + 333),
    'multi/z.bin': randomBytes(5_000),
  };
}

export const SINGLE_PIECE = 64 * KiB;
export const MULTI_PIECE = 32 * KiB;

/** Writes the files under a fresh folder and hashes them into a .torrent (no tracker). */
export async function makePayload(t: TestContext, files: Record<string, Buffer>, pieceLength: number): Promise<Payload> {
  const root = scratchDir(t, 'swarm-interop-src-');
  for (const [rel, data] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
  const name = Object.keys(files)[0]!.split('/')[0]!;
  const { torrent, metainfo } = await createTorrent({ path: join(root, name), pieceLength, date: false });
  const torrentFile = join(scratchDir(t, 'swarm-interop-torrent-'), `${name}.torrent`);
  writeFileSync(torrentFile, torrent);
  return { root, metainfo, torrentFile, files };
}

export interface CompareOptions {
  /** Transmission 3.00 never creates the 0-byte files of a multi-file torrent. */
  emptyFilesMayBeMissing?: boolean;
}

/** Asserts every file of the payload is under `dir` with identical bytes. */
export function assertSameFiles(p: Payload, dir: string, what: string, opts: CompareOptions = {}): void {
  for (const [rel, want] of Object.entries(p.files)) {
    const path = join(dir, rel);
    if (want.length === 0 && opts.emptyFilesMayBeMissing && !existsSync(path)) continue;
    assert.ok(existsSync(path), `${what}: ${rel} is missing`);
    assert.equal(statSync(path).size, want.length, `${what}: ${rel} has the wrong size`);
    assert.ok(readFileSync(path).equals(want), `${what}: ${rel} differs from the original`);
  }
}

/** Polls `check` every `everyMs` until it returns true; throws `describe()` after `ms`. */
export async function waitUntil(check: () => boolean, ms: number, describe: () => string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Milliseconds since `start`, rounded, for the test's diagnostics. */
export function since(start: number): number {
  return Math.round(performance.now() - start);
}

