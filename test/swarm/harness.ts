import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { createTorrent } from '../../src/metainfo/create.js';
import { PieceLayout } from '../../src/metainfo/layout.js';
import type { Metainfo } from '../../src/metainfo/metainfo.js';
import type { TorrentLimits } from '../../src/torrent/defaults.js';
import { Session, type EncryptionMode } from '../../src/torrent/session.js';
import type { Torrent, TorrentOptions } from '../../src/torrent/torrent.js';
import { tempDir } from '../helpers/tmp.js';

/** Short timings so a stuck swarm shows up in seconds, not minutes. */
export const FAST: Partial<TorrentLimits> = {
  tickMs: 100,
  chokeIntervalMs: 500,
  requestTimeoutMs: 3_000,
  connectTimeoutMs: 3_000,
  handshakeTimeoutMs: 3_000,
};

/** Writes files (relative path -> bytes) under a fresh folder. */
export function writePayload(t: TestContext, files: Record<string, Buffer>): string {
  const dir = tempDir(t);
  for (const [rel, data] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
  return dir;
}

export function bytes(n: number): Buffer {
  return randomBytes(n);
}

/** A torrent of `path`, optionally with a smaller block length so tiny tests have many blocks. */
export async function makeTorrent(path: string, pieceLength: number, blockLength?: number): Promise<Metainfo> {
  const { metainfo } = await createTorrent({ path, pieceLength, date: false });
  if (blockLength === undefined) return metainfo;
  return { ...metainfo, layout: new PieceLayout(metainfo.layout.files, metainfo.pieceLength, blockLength) };
}

export interface Peer {
  session: Session;
  torrent: Torrent;
  port: number;
}

/** A session with one torrent, listening on 127.0.0.1, started; closed when the test ends. */
export async function startPeer(
  t: TestContext,
  metainfo: Metainfo,
  root: string,
  extra: Partial<Omit<TorrentOptions, 'metainfo' | 'root' | 'peerId' | 'port' | 'dial'>> = {},
  limits: Partial<TorrentLimits> = FAST,
  encryption?: EncryptionMode,
): Promise<Peer> {
  const session = new Session({ limits, ...(encryption ? { encryption } : {}) });
  // after-hooks run in the order they were added, so the folder (made before this peer)
  // is already gone when the session closes and saves its resume file: remove it again
  t.after(async () => {
    await session.close();
    rmSync(root, { recursive: true, force: true });
  });
  const { port } = await session.listen();
  const torrent = session.add({ metainfo, root, trackers: false, ...extra });
  await torrent.start();
  return { session, torrent, port };
}

/** Resolves when the torrent has every selected piece; rejects on error or after `ms`. */
export function whenDone(torrent: Torrent, ms = 20_000): Promise<void> {
  if (torrent.phase === 'seeding') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`not done after ${ms} ms: ${JSON.stringify(torrent.stats())}`));
    }, ms);
    const onDone = () => {
      cleanup();
      resolve();
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    function cleanup(): void {
      clearTimeout(timer);
      torrent.off('done', onDone);
      torrent.off('error', onError);
    }
    torrent.on('done', onDone);
    torrent.on('error', onError);
  });
}

export function sameFile(a: string, b: string): boolean {
  return readFileSync(a).equals(readFileSync(b));
}

export const local = (port: number) => ({ host: '127.0.0.1', port });
