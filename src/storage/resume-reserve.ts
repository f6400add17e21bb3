import { randomBytes } from 'node:crypto';
import type { PieceLayout } from '../metainfo/layout.js';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/log.js';
import { Confiner } from './confine.js';
import { type FsBackend, nodeBackend } from './fs-backend.js';
import { STATE_DIR } from './storage.js';

const log = logger('storage:reserve');

/**
 * Room set aside in `.swarm/` while a torrent downloads, so that the resume file can still
 * be saved once the disk is full. The save that matters most comes right after a full disk
 * stopped the download, when not one block is free, and an atomic save needs a new file.
 * So the reserve is deleted and that save tried once more. Random bytes, so a compressing
 * file system cannot shrink the reserve to nothing.
 */
export class ResumeReserve {
  private readonly confiner: Confiner;
  private readonly rel: string[];
  private readonly size: number;
  private readonly backend: FsBackend;

  constructor(root: string, infoHashHex: string, layout: PieceLayout, backend: FsBackend = nodeBackend) {
    this.backend = backend;
    this.confiner = new Confiner(root, backend);
    this.rel = [STATE_DIR, `${infoHashHex}.reserve`];
    // twice the largest resume file this torrent can have, in whole 4 KiB blocks
    const resumeMax = 1024 + Math.ceil(layout.pieceCount / 8) + 64 * layout.files.length;
    this.size = Math.ceil((2 * resumeMax) / 4096) * 4096;
  }

  /** Creates the reserve if it is not there; best effort (a disk already full just has none). */
  async ensure(): Promise<void> {
    try {
      const path = await this.confiner.resolve(this.rel, true);
      const st = await this.backend.stat(path);
      if (st !== null && st.isFile && st.size >= this.size) return;
      const h = await this.backend.open(path, 'replace');
      try {
        const data = randomBytes(this.size);
        for (let done = 0; done < data.length; ) {
          const n = await h.write(data, done, data.length - done, done);
          if (n <= 0) throw new Error('write made no progress');
          done += n;
        }
      } finally {
        await h.close();
      }
    } catch (err) {
      log('no reserve for the resume file: %s', errorMessage(err));
      await this.release();
    }
  }

  /** Frees the reserve. True if there was one to free. */
  async release(): Promise<boolean> {
    try {
      const path = await this.confiner.resolve(this.rel, false);
      if ((await this.backend.lstat(path)) === null) return false;
      await this.backend.unlink(path);
      return true;
    } catch (err) {
      log('removing the reserve: %s', errorMessage(err));
      return false;
    }
  }
}

/** A write failed because the disk (or the user's quota) is full. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
