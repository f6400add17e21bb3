import type { Metainfo } from '../metainfo/metainfo.js';
import type { FsBackend } from '../storage/fs-backend.js';
import type { UdpTrackerClient } from '../tracker/client/udp.js';
import type { TorrentLimits } from './defaults.js';
import type { PeerAddress } from './peer-book.js';
import type { PeerTransport } from './peer-connection.js';

export type TorrentPhase = 'idle' | 'checking' | 'downloading' | 'seeding' | 'stopped' | 'error';

/** A finished handshake on an outgoing connection. */
export interface Dialled {
  transport: PeerTransport;
  peerId: Buffer;
  /** The reserved bytes of its handshake: the extensions it supports. */
  reserved: Buffer;
}

export interface TorrentOptions {
  metainfo: Metainfo;
  /** The download folder: files land at root/<layout path>. */
  root: string;
  peerId: Buffer;
  /** Our listening port, announced to trackers. */
  port: number;
  /** Opens an outgoing connection and does the handshake (the Session provides it). */
  dial: (addr: PeerAddress, signal: AbortSignal) => Promise<Dialled>;
  /** Listed file indices (1-based, as `swarm info` shows them); default all. */
  select?: number[];
  limits?: Partial<TorrentLimits>;
  /** Bytes per second; 0 or undefined = unlimited. */
  uploadLimit?: number;
  downloadLimit?: number;
  recheck?: boolean;
  /** Serve what verifies and never download (`swarm seed --partial`). */
  seedOnly?: boolean;
  /** Announce to the torrent's trackers (default true). */
  trackers?: boolean;
  backend?: FsBackend;
  /** The session's shared UDP tracker socket. */
  udp?: UdpTrackerClient;
  now?: () => number;
}

export interface TorrentStats {
  phase: TorrentPhase;
  /** Bytes of the selected pieces, and how many of them are verified on disk. */
  totalBytes: number;
  doneBytes: number;
  piecesDone: number;
  piecesTotal: number;
  downloadedBytes: number;
  uploadedBytes: number;
  wastedBytes: number;
  failedPieces: number;
  downRate: number;
  upRate: number;
  peers: number;
  knownPeers: number;
  trackers: Array<{ url: string; ok: boolean; lastError?: string }>;
}
