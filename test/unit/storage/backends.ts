import { type FsBackend, type FsHandle, type OpenMode, nodeBackend } from '../../../src/storage/fs-backend.js';

export function sysError(code: string, what = code): Error {
  return Object.assign(new Error(`${code}: ${what}`), { code });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The real backend with counters and injectable faults: a full disk after N bytes,
 * refused opens, slow writes. Everything else goes to node:fs.
 */
export class TestBackend implements FsBackend {
  openNow = 0;
  maxOpenNow = 0;
  opens = 0;
  closes = 0;
  syncs = 0;
  bytesWritten = 0;
  readonly openedPaths: Array<{ path: string; mode: OpenMode }> = [];
  /** Writes fail with ENOSPC once this many bytes have been written. */
  diskBytes = Infinity;
  /** Return an error code to refuse an open. */
  refuseOpen: (path: string, mode: OpenMode) => string | undefined = () => undefined;
  writeDelayMs = 0;
  /** A write to `path` waits for the promise returned (after onWrite, before the delay). */
  holdWrite: (path: string) => Promise<void> | undefined = () => undefined;
  /** Called at the start of every write (and writev, with its total), before the delay. */
  onWrite: (path: string, length: number) => void = () => undefined;
  /** System calls that wrote: write and writev each count one. */
  writeCalls = 0;
  writevCalls = 0;
  readCalls = 0;
  /** Leave writev out of the handles, as a backend without it would. */
  noWritev = false;

  async open(path: string, mode: OpenMode): Promise<FsHandle> {
    const refused = this.refuseOpen(path, mode);
    if (refused) throw sysError(refused, `open '${path}'`);
    const inner = await nodeBackend.open(path, mode);
    this.opens++;
    this.openNow++;
    this.maxOpenNow = Math.max(this.maxOpenNow, this.openNow);
    this.openedPaths.push({ path, mode });
    const self = this;
    let closed = false;
    return {
      read: (buf, off, len, pos) => {
        self.readCalls++;
        return inner.read(buf, off, len, pos);
      },
      async write(buf, off, len, pos) {
        if (closed) throw sysError('EBADF', 'write after close');
        self.onWrite(path, len);
        await self.holdWrite(path);
        if (self.writeDelayMs > 0) await sleep(self.writeDelayMs);
        const room = self.diskBytes - self.bytesWritten;
        if (room <= 0) throw sysError('ENOSPC', `write '${path}'`);
        self.writeCalls++;
        const n = await inner.write(buf, off, Math.min(len, room), pos);
        self.bytesWritten += n;
        return n;
      },
      ...(this.noWritev
        ? {}
        : {
            async writev(bufs: readonly Buffer[], pos: number) {
              if (closed) throw sysError('EBADF', 'write after close');
              const total = bufs.reduce((n, b) => n + b.length, 0);
              self.onWrite(path, total);
              await self.holdWrite(path);
              if (self.writeDelayMs > 0) await sleep(self.writeDelayMs);
              const room = self.diskBytes - self.bytesWritten;
              if (room <= 0) throw sysError('ENOSPC', `write '${path}'`);
              // a disk that fills up mid-call writes what fits, like write() above
              const fit: Buffer[] = [];
              let left = Math.min(total, room);
              for (const b of bufs) {
                if (left <= 0) break;
                fit.push(b.subarray(0, Math.min(b.length, left)));
                left -= fit[fit.length - 1]!.length;
              }
              self.writevCalls++;
              const n = await inner.writev!(fit, pos);
              self.bytesWritten += n;
              return n;
            },
          }),
      truncate: (len) => inner.truncate(len),
      stat: () => inner.stat(),
      async sync() {
        self.syncs++;
        await inner.sync();
      },
      async close() {
        closed = true;
        self.openNow--;
        self.closes++;
        await inner.close();
      },
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
  rename(from: string, to: string) {
    return nodeBackend.rename(from, to);
  }
  unlink(path: string) {
    return nodeBackend.unlink(path);
  }
}
