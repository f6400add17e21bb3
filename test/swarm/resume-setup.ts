import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { PieceLayout } from '../../src/metainfo/layout.js';
import type { Metainfo } from '../../src/metainfo/metainfo.js';
import { type LoadedResume, loadResume } from '../../src/storage/resume.js';
import type { TorrentLimits } from '../../src/torrent/defaults.js';
import { Session } from '../../src/torrent/session.js';
import type { Torrent, TorrentOptions } from '../../src/torrent/torrent.js';
import { FAST } from './harness.js';

/** In-process helpers for the resume and disk-fault swarm tests. */

export interface Started {
  session: Session;
  torrent: Torrent;
  port: number;
  /** Bytes the start-up check hashed (0 when it trusted the resume file for everything). */
  hashed: number;
}

/** Like harness.startPeer, but records how much the check hashed. */
export async function startCounting(
  t: TestContext,
  m: Metainfo,
  root: string,
  extra: Partial<Omit<TorrentOptions, 'metainfo' | 'root' | 'peerId' | 'port' | 'dial'>> = {},
  limits: Partial<TorrentLimits> = FAST,
): Promise<Started> {
  const session = new Session({ limits });
  // the folder's own after-hook ran first; closing saves a resume file and re-creates it
  t.after(async () => {
    await session.close();
    rmSync(root, { recursive: true, force: true });
  });
  const { port } = await session.listen();
  const torrent = session.add({ metainfo: m, root, trackers: false, ...extra });
  const s: Started = { session, torrent, port, hashed: 0 };
  await torrent.start((bytes) => (s.hashed = Math.max(s.hashed, bytes)));
  return s;
}

/** Resolves once `n` more pieces are verified and written. */
export function afterPieces(torrent: Torrent, n: number, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => {
      torrent.off('piece', onPiece);
      reject(new Error(`only ${seen} of ${n} pieces after ${ms} ms`));
    }, ms);
    const onPiece = () => {
      if (++seen < n) return;
      clearTimeout(timer);
      torrent.off('piece', onPiece);
      resolve();
    };
    torrent.on('piece', onPiece);
  });
}

/** The whole torrent as it stands under `root`: missing or short files read as zeros. */
export function bytesOnDisk(root: string, layout: PieceLayout): Buffer {
  const out = Buffer.alloc(layout.totalLength);
  for (const f of layout.files) {
    const p = join(root, ...f.path);
    if (f.pad || !existsSync(p)) continue;
    const d = readFileSync(p);
    d.copy(out, f.offset, 0, Math.min(d.length, f.length));
  }
  return out;
}

/** Which pieces of `actual` equal those of `expected`. */
export function matching(expected: Buffer, actual: Buffer, layout: PieceLayout): boolean[] {
  return Array.from({ length: layout.pieceCount }, (_, i) => {
    const a = i * layout.pieceLength;
    const b = a + layout.pieceSize(i);
    return expected.subarray(a, b).equals(actual.subarray(a, b));
  });
}

export function haveList(torrent: Torrent): boolean[] {
  return Array.from({ length: torrent.layout.pieceCount }, (_, i) => torrent.haveBits.has(i));
}

export function bytesOf(have: boolean[], layout: PieceLayout): number {
  return have.reduce((s, h, i) => s + (h ? layout.pieceSize(i) : 0), 0);
}

export async function readResume(root: string, m: Metainfo): Promise<LoadedResume> {
  const r = await loadResume(root, m.infoHashHex, m.layout);
  if ('ignored' in r) throw new Error(`no usable resume file: ${r.ignored}`);
  return r;
}

export const count = (xs: boolean[]) => xs.filter(Boolean).length;
