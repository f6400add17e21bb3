import { type FsBackend, type FsHandle, type OpenMode, nodeBackend } from '../../src/storage/fs-backend.js';

const BLOCK = 4096;

function sysError(code: string, what: string): Error {
  return Object.assign(new Error(`${code}: ${what}`), { code });
}

/**
 * A small disk for tests: the real file system underneath, but only `capacity` bytes of
 * 4 KiB blocks to go round. Blocks are counted per file as they are first written (files
 * are sparse, as on a real disk), and freed by truncate, unlink and rename over a file. A
 * write that does not fit writes the blocks that do, then fails with ENOSPC.
 */
export class SmallDisk implements FsBackend {
  private readonly blocks = new Map<string, Set<number>>();
  used = 0;

  constructor(public capacity: number) {}

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

  async open(path: string, mode: OpenMode): Promise<FsHandle> {
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

  stat(path: string) {
    return nodeBackend.stat(path);
  }
  lstat(path: string) {
    return nodeBackend.lstat(path);
  }
  realpath(path: string) {
    return nodeBackend.realpath(path);
  }
  mkdir(path: string) {
    return nodeBackend.mkdir(path);
  }
  async rename(from: string, to: string) {
    await nodeBackend.rename(from, to);
    this.free(to);
    const b = this.blocks.get(from);
    this.blocks.delete(from);
    if (b) this.blocks.set(to, b);
  }
  async unlink(path: string) {
    await nodeBackend.unlink(path);
    this.free(path);
  }
}
