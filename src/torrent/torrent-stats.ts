import type { PieceLayout } from '../metainfo/layout.js';
import type { Metainfo } from '../metainfo/metainfo.js';
import type { Bitfield } from '../wire/bitfield.js';
import type { Downloader } from './downloader.js';
import type { PeerConnection } from './peer-connection.js';
import type { TorrentPhase, TorrentStats } from './torrent-types.js';

/** Which pieces hold at least one byte of a selected file (listed indices, 1-based). */
export function selectedPieces(m: Metainfo, select: number[] | undefined): Uint8Array {
  const wanted = new Uint8Array(m.layout.pieceCount);
  const chosen = select ? new Set(select) : undefined;
  for (const f of m.files) {
    if (chosen && !chosen.has(f.index)) continue;
    const range = m.layout.filePieces(f.layoutIndex);
    if (!range) continue;
    wanted.fill(1, range.first, range.last + 1);
  }
  return wanted;
}

export interface StatsInput {
  phase: TorrentPhase;
  layout: PieceLayout;
  wanted: Uint8Array;
  haveBits: Bitfield;
  peers: Iterable<PeerConnection>;
  now: number;
  downloader: Pick<Downloader, 'verifiedBytes' | 'wastedBytes' | 'failedPieces'>;
  uploadedBytes: number;
  knownPeers: number;
  trackers: TorrentStats['trackers'];
}

export function collectStats(s: StatsInput): TorrentStats {
  let downRate = 0;
  let upRate = 0;
  let peers = 0;
  for (const p of s.peers) {
    downRate += p.down.rate(s.now);
    upRate += p.up.rate(s.now);
    peers++;
  }
  let totalBytes = 0;
  let doneBytes = 0;
  let piecesTotal = 0;
  let piecesDone = 0;
  for (let i = 0; i < s.layout.pieceCount; i++) {
    if (s.wanted[i] !== 1) continue;
    const size = s.layout.pieceSize(i);
    totalBytes += size;
    piecesTotal++;
    if (s.haveBits.has(i)) {
      doneBytes += size;
      piecesDone++;
    }
  }
  return {
    phase: s.phase,
    totalBytes,
    doneBytes,
    piecesDone,
    piecesTotal,
    downloadedBytes: s.downloader.verifiedBytes + s.downloader.wastedBytes,
    uploadedBytes: s.uploadedBytes,
    wastedBytes: s.downloader.wastedBytes,
    failedPieces: s.downloader.failedPieces,
    downRate,
    upRate,
    peers,
    knownPeers: s.knownPeers,
    trackers: s.trackers,
  };
}
