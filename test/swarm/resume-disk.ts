import { type FsHandle, type OpenMode, nodeBackend } from '../../src/storage/fs-backend.js';
import { sysError, TestBackend } from '../unit/storage/backends.js';

const BLOCK = 4096;

/**
 * A small disk for tests: the real file system underneath (stat, mkdir and the rest come
 * from TestBackend), but only `capacity` bytes of 4 KiB blocks to go round. Blocks are
 * counted per file as they are first written (files are sparse, as on a real disk), and
 * freed by truncate, unlink and rename over a file. A write that does not fit writes the
 * blocks that do, then fails with ENOSPC.
 */
export class SmallDisk extends TestBackend {
  private readonly blocks = new Map<string, Set<number>>();
  used = 0;

  constructor(public capacity: number) {
    super();
  }

  private fileBlocks(path: string): Set<number> {
    let b = this.blocks.get(path);
    if (!b) this.blocks.set(path, (b = new Set()));
    return b;
  }

  private free(path: string, fromBlock = 0): void {
    const b = this.blocks.get(path);
    if (!b) return;
    for (const i of [...b]) {
      if (i < fromBlock) continue;
      b.delete(i);
      this.used -= BLOCK;
    }
    if (fromBlock === 0) this.blocks.delete(path);
  }

  /** How many bytes of [pos, pos+len) can be written before the disk is full. */
  private allot(path: string, pos: number, len: number): number {
    const b = this.fileBlocks(path);
    let end = pos;
    while (end < pos + len) {
      const i = Math.floor(end / BLOCK);
      if (!b.has(i)) {
        if (this.used + BLOCK > this.capacity) break;
        b.add(i);
        this.used += BLOCK;
      }
      end = Math.min(pos + len, (i + 1) * BLOCK);
    }
    return end - pos;
  }

  override async open(path: string, mode: OpenMode): Promise<FsHandle> {
    const inner = await nodeBackend.open(path, mode);
    if (mode === 'replace') this.free(path);
    const self = this;
    return {
      read: (buf, off, len, pos) => inner.read(buf, off, len, pos),
      async write(buf, off, len, pos) {
        const room = self.allot(path, pos, len);
        if (room === 0) throw sysError('ENOSPC', `write '${path}'`);
        return inner.write(buf, off, room, pos);
      },
      async truncate(len) {
        self.free(path, Math.ceil(len / BLOCK));
        await inner.truncate(len);
      },
      stat: () => inner.stat(),
      sync: () => inner.sync(),
      close: () => inner.close(),
    };
  }

  override async rename(from: string, to: string) {
    await nodeBackend.rename(from, to);
    this.free(to);
    const b = this.blocks.get(from);
    this.blocks.delete(from);
    if (b) this.blocks.set(to, b);
  }
  override async unlink(path: string) {
    await nodeBackend.unlink(path);
    this.free(path);
  }
}
