import { EventEmitter } from 'node:events';
import type { PieceLayout } from '../metainfo/layout.js';
import { errorMessage, StorageError } from '../util/errors.js';
import { digestIs } from '../util/sha1.js';
import { logger } from '../util/log.js';
import { TokenBucket } from '../util/token-bucket.js';
import { Bitfield } from '../wire/bitfield.js';
import { Connector } from './connector.js';
import { DEFAULT_LIMITS, type TorrentLimits } from './defaults.js';
import { DownloadThrottle } from './download-throttle.js';
import { Downloader } from './downloader.js';
import { PeerBook, type PeerAddress, type PeerSource } from './peer-book.js';
import type { PeerTransport } from './peer-connection.js';
import { PeerSet } from './peer-set.js';
import { PiecePicker } from './picker.js';
import { PieceCache } from './piece-cache.js';
import { ReadBuffers } from './read-buffers.js';
import { TorrentDisk } from './torrent-disk.js';
import { collectStats, selectedPieces, SelectionTally } from './torrent-stats.js';
import type { TorrentOptions, TorrentPhase, TorrentStats } from './torrent-types.js';
import { Uploader } from './uploader.js';
import { TorrentTrackers } from './torrent-trackers.js';

const log = logger('torrent');

export type { Dialled, TorrentOptions, TorrentPhase, TorrentStats } from './torrent-types.js';

/**
 * One torrent: checks what is on disk, finds peers, downloads what is missing, serves
 * what it has. Events: 'phase' (phase), 'piece' (index), 'piece-failed' (index),
 * 'done' (every selected piece is verified and on disk), 'error' (a fatal error).
 */
export class Torrent extends EventEmitter {
  readonly layout: PieceLayout;
  readonly limits: TorrentLimits;
  readonly picker: PiecePicker;
  readonly book = new PeerBook();
  readonly downloader: Downloader;
  readonly uploader: Uploader;
  readonly peers: PeerSet;
  readonly haveBits: Bitfield;
  /** Sets haveBits and counts the selection's pieces and bytes had. */
  private readonly tally: SelectionTally;
  readonly uploadLimit: TokenBucket | undefined;
  private readonly throttle: DownloadThrottle | undefined;
  private readonly connector: Connector;
  private readonly disk: TorrentDisk;
  private readonly trackers: TorrentTrackers;
  private readonly cache: PieceCache;
  /** What uploading reads into (its counters show how often a buffer was recycled). */
  readonly readBuffers: ReadBuffers;
  private readonly wanted: Uint8Array;
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  phase: TorrentPhase = 'idle';
  error: Error | undefined;
  readonly now: () => number;

  constructor(readonly opts: TorrentOptions) {
    super();
    const m = opts.metainfo;
    this.layout = m.layout;
    this.now = opts.now ?? Date.now;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.wanted = selectedPieces(m, opts.select);
    this.picker = new PiecePicker(this.layout, { wanted: (i) => this.wanted[i] === 1 });
    this.haveBits = new Bitfield(this.layout.pieceCount);
    this.tally = new SelectionTally(this.layout, this.wanted, this.haveBits);
    this.uploadLimit = opts.uploadLimit ? new TokenBucket(opts.uploadLimit) : undefined;
    this.disk = new TorrentDisk({
      metainfo: m,
      root: opts.root,
      select: opts.select,
      backend: opts.backend,
      onWritten: (i) => this.pieceWritten(i),
      release: (data) => this.downloader.release(data),
      highWater: this.limits.writeQueueHighBytes,
      lowWater: this.limits.writeQueueLowBytes,
      onError: (err) => this.fail(err),
      onBackpressure: () => this.updateReading(),
    });
    this.readBuffers = new ReadBuffers(this.layout.pieceLength, this.limits.uploadCacheBytes / 2);
    this.cache = new PieceCache(
      this.limits.uploadCacheBytes,
      (i, into) => this.disk.read(i, 0, this.layout.pieceSize(i), into),
      (i) => this.layout.pieceSize(i),
      (first, count, into) => this.disk.readRun(first, count, into),
      undefined,
      this.readBuffers,
    );
    this.trackers = new TorrentTrackers({
      metainfo: m,
      peerId: opts.peerId,
      port: opts.port,
      enabled: opts.trackers ?? true,
      udp: opts.udp,
      stats: () => ({ uploaded: this.uploader.uploadedBytes, downloaded: this.downloader.verifiedBytes, left: this.picker.bytesLeft() }),
      onPeers: (addrs) => this.addPeers(addrs, 'tracker'),
    });
    const self = this;
    this.downloader = new Downloader({
      layout: this.layout,
      picker: this.picker,
      limits: this.limits,
      now: this.now,
      peerByKey: (k) => this.peers.get(k),
      hashMatches: (i, digest) => digestIs(digest, m.pieceHashes, 20 * i),
      store: (i, data) => this.disk.write(i, data),
      pieceFailed: (i, who) => this.pieceFailed(i, who),
      blame: (addrs) => this.blame(addrs),
      downloading: () => this.phase === 'downloading',
      received: (n) => this.throttle?.received(n),
    });
    this.uploader = new Uploader({
      layout: this.layout,
      limits: this.limits,
      uploadLimit: this.uploadLimit,
      signal: this.abort.signal,
      now: this.now,
      havePiece: (i) => this.haveBits.has(i),
      readPiece: (i, ahead) => this.cache.get(i, ahead),
      cached: (i) => this.cache.state(i),
      blocks: {
        readBlock: (i, begin, length, into, at) => this.cache.copyOut(i, begin, length, into, at) || this.disk.readNow(i, begin, length, into, at),
      },
      lend: (block) => this.readBuffers.lend(block),
      seeding: () => this.phase === 'seeding',
      peers: () => this.peers.values(),
      readFailed: (i, err) => this.fail(err instanceof Error ? err : new StorageError('EIO', `reading piece ${i}: ${errorMessage(err)}`)),
    });
    this.peers = new PeerSet({
      limits: this.limits,
      picker: this.picker,
      book: this.book,
      get downloader() {
        return self.downloader;
      },
      get uploader() {
        return self.uploader;
      },
      pieceCount: this.layout.pieceCount,
      listenPort: opts.port,
      haveBits: this.haveBits,
      now: this.now,
      downloading: () => this.phase === 'downloading',
      wantsPiece: (i) => this.wanted[i] === 1 && !this.haveBits.has(i),
    });
    this.peers.on('peer-closed', () => this.emit('peers'));
    this.peers.on('peer', (p) => {
      if (!this.readingAllowed()) p.transport.pause();
      this.emit('peers');
    });
    this.throttle = opts.downloadLimit
      ? new DownloadThrottle(new TokenBucket(opts.downloadLimit), this.now, () => this.updateReading())
      : undefined;
    this.connector = new Connector({
      book: this.book,
      peers: this.peers,
      limits: this.limits,
      now: this.now,
      dial: opts.dial,
      signal: this.abort.signal,
      ourPeerId: opts.peerId,
      active: () => this.phase === 'downloading' || this.phase === 'seeding',
    });
  }

  get infoHash(): Buffer {
    return this.opts.metainfo.infoHash;
  }

  private setPhase(p: TorrentPhase): void {
    if (this.phase === p) return;
    this.phase = p;
    log('%s: %s', this.opts.metainfo.name, p);
    this.emit('phase', p);
  }

  /** Checks the data on disk, then downloads or seeds. Resolves once checking is done. */
  async start(onCheckProgress?: (bytes: number) => void): Promise<void> {
    this.setPhase('checking');
    const have = await this.disk.check({ recheck: this.opts.recheck ?? false, onProgress: onCheckProgress, signal: this.abort.signal });
    if (this.phase !== 'checking') return;
    for (let i = 0; i < have.length; i++) {
      if (!have[i]) continue;
      this.tally.add(i);
      this.picker.setHave(i);
    }
    this.timer = setInterval(() => this.tick(), this.limits.tickMs);
    if (this.picker.isComplete()) await this.complete(true);
    else if (this.opts.seedOnly) this.setPhase('seeding');
    else this.setPhase('downloading');
    this.trackers.start();
    this.tick();
  }

  /** Peers from trackers, the command line, or other sources. */
  addPeers(addrs: PeerAddress[], source: PeerSource): void {
    let added = 0;
    for (const a of addrs) if (this.book.add(a, source)) added++;
    if (added > 0 && (this.phase === 'downloading' || this.phase === 'seeding')) this.connector.dialSome();
  }

  /** An incoming connection whose handshake named this torrent. */
  attachIncoming(transport: PeerTransport, addr: PeerAddress, peerId: Buffer, reserved: Buffer): void {
    if (this.phase !== 'downloading' && this.phase !== 'seeding') {
      transport.close('torrent not active');
      return;
    }
    if (this.book.isBanned(addr)) {
      transport.close('banned');
      return;
    }
    this.peers.attach(transport, addr, peerId, 'incoming', reserved);
  }

  private tick(): void {
    if (this.phase !== 'downloading' && this.phase !== 'seeding') return;
    this.peers.tick(this.phase === 'seeding');
    this.connector.dialSome();
    if (this.phase === 'downloading' && this.peers.size === 0 && this.connector.halfOpen === 0) this.trackers.needPeers();
    this.disk.maybeSaveResume(this.haveBits);
  }

  /**
   * Reading from peers goes on unless the disk is behind or the download limit holds it;
   * either one letting go must not resume what the other still holds (a throttled download
   * once ran at full speed whenever the write queue drained).
   */
  private readingAllowed(): boolean {
    return !this.disk.backpressure && !this.throttle?.holding();
  }

  /** Pauses or resumes reading from every peer (disk backpressure, download limit). */
  private updateReading(): void {
    const on = this.readingAllowed();
    for (const p of this.peers.values()) {
      if (on) p.transport.resume();
      else p.transport.pause();
    }
  }

  private pieceWritten(index: number): void {
    // a write that lands while stopping (or after a disk error) is on disk all the same:
    // the resume file saved on close must list it, or the next run fetches it again
    this.tally.add(index);
    if (this.phase !== 'downloading') return;
    this.picker.verified(index);
    this.peers.broadcastHave(index);
    this.emit('piece', index);
    if (this.picker.isComplete()) {
      this.complete().catch((err: unknown) => this.fail(err));
    }
  }

  private pieceFailed(index: number, contributors: number[]): void {
    this.emit('piece-failed', index);
    for (const key of contributors) {
      const p = this.peers.get(key);
      if (!p) continue;
      if (this.book.strike(p.addr)) p.close('sent bad data repeatedly: banned');
    }
  }

  /** Peers shown to have sent bad blocks (they may have left): strike, and hang up once banned. */
  private blame(addrs: PeerAddress[]): void {
    for (const a of addrs) {
      if (!this.book.strike(a)) continue;
      for (const p of [...this.peers.values()]) if (this.book.isBanned(p.addr)) p.close('sent bad data repeatedly: banned');
    }
  }

  /** Every selected piece is verified: flush to disk, record it, and turn to seeding. */
  private async complete(atStart = false): Promise<void> {
    if (this.phase === 'seeding') return;
    await this.disk.finish(this.haveBits, atStart);
    if (this.phase === 'stopped' || this.phase === 'error') return;
    this.peers.notInterestedInAll();
    this.setPhase('seeding');
    this.downloader.clear(); // nothing partial is left; the piece buffers can go
    if (!atStart) this.trackers.completed();
    this.emit('done');
  }

  private fail(err: unknown): void {
    if (this.phase === 'error' || this.phase === 'stopped') return;
    this.error = err instanceof Error ? err : new Error(String(err));
    log('fatal: %s', this.error.message);
    this.setPhase('error');
    this.emit('error', this.error);
  }

  /** Stops cleanly: no new requests, pending writes finished, resume saved, trackers told. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.setPhase('stopped');
    this.abort.abort();
    if (this.timer) clearInterval(this.timer);
    this.uploader.stop();
    this.peers.closeAll('shutting down');
    this.downloader.clear();
    this.cache.clear();
    await Promise.allSettled([this.disk.close(this.haveBits), this.trackers.stop(this.limits.stopAnnounceTimeoutMs)]);
  }

  stats(): TorrentStats {
    return collectStats({
      phase: this.phase,
      tally: this.tally,
      peers: this.peers.values(),
      now: this.now(),
      downloader: this.downloader,
      uploadedBytes: this.uploader.uploadedBytes,
      knownPeers: this.book.size,
      trackers: this.trackers.status(),
    });
  }
}
