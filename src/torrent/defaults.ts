/**
 * Every bound and timing of a torrent session, in one place. Tests shrink the timings;
 * each limit has a test that shows it holds.
 */
export interface TorrentLimits {
  /** Established peer connections per torrent. */
  maxConnections: number;
  /** Outgoing connections still connecting or handshaking, per torrent. */
  maxHalfOpen: number;
  /** Unverified piece bytes held in memory; no new piece is started above it. */
  maxUnverifiedBytes: number;
  /** Verified pieces waiting for the disk: reading from peers pauses above high, resumes below low. */
  writeQueueHighBytes: number;
  writeQueueLowBytes: number;
  /** Free piece buffers kept for reuse. */
  bufferPoolBytes: number;
  /** Requests in flight per peer: the pipeline adapts between these to the peer's rate. */
  minPipeline: number;
  maxPipeline: number;
  /** How many seconds of a peer's rate to keep requested. */
  pipelineSeconds: number;
  /** A peer that delivers nothing for this long loses its requests and is snubbed. */
  requestTimeoutMs: number;
  /** Queued incoming requests per peer; more are dropped. */
  maxQueuedRequests: number;
  /** Protocol violations (requests while choked, dropped floods, unrequested blocks) before we hang up. */
  maxViolations: number;
  /**
   * Bytes we may have queued for one peer (beyond what the kernel took) before we hang up:
   * blocks stop at the wire's high-water mark, so only a peer that makes us answer (interest
   * toggles, rejects) and never reads gets this far.
   */
  maxSendBuffer: number;
  /** Regular upload slots, and how often the choker re-chooses them. */
  uploadSlots: number;
  chokeIntervalMs: number;
  /** How often the optimistic unchoke rotates. */
  optimisticIntervalMs: number;
  /** The periodic check: dialling, request timeouts, idle peers. */
  tickMs: number;
  /** Piece bytes cached for uploading. */
  uploadCacheBytes: number;
  /** Dial timeout and handshake timeout for one peer. */
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** Close a connection when nothing was received for this long. */
  idleTimeoutMs: number;
  /** Close a connection where neither side has wanted anything for this long. */
  uselessPeerMs: number;
  /** How long the `stopped` announce may take on shutdown. */
  stopAnnounceTimeoutMs: number;
}

export const DEFAULT_LIMITS: TorrentLimits = {
  maxConnections: 50,
  maxHalfOpen: 8,
  // these bound a download's piece memory whatever the torrent's size: the pool of aligned
  // buffers keeps at most what these two had in use at once (bufferPoolBytes caps it only
  // where WebAssembly is unavailable and buffers are ordinary ones)
  maxUnverifiedBytes: 32 * 1024 * 1024,
  // direct writes keep up with any socket, so a short queue is enough: 1 GiB of 16 KiB
  // pieces peaked at 136-138 MB RSS with 8 MiB, 148-149 MB with 16 MiB, at the same speed.
  // Reading resumes as soon as one write is done: waiting for the queue to fall to 2 MiB
  // left the sockets unread for 0.7-1.0 s of a 3.3 s GiB (stop and go); with 6 MiB, 0.1 s
  writeQueueHighBytes: 8 * 1024 * 1024,
  writeQueueLowBytes: 6 * 1024 * 1024,
  bufferPoolBytes: 16 * 1024 * 1024,
  minPipeline: 8,
  // 250 is the request queue most clients accept (libtorrent's default reqq); more get dropped
  maxPipeline: 250,
  pipelineSeconds: 2,
  requestTimeoutMs: 30_000,
  // above maxPipeline (ours) and what we announce (reqq 500): a full queue rejects, and
  // rejects count as violations
  maxQueuedRequests: 1024,
  maxViolations: 64,
  // twice the wire's high-water mark (1 MiB), where blocks stop
  maxSendBuffer: 2 * 1024 * 1024,
  uploadSlots: 4,
  chokeIntervalMs: 10_000,
  optimisticIntervalMs: 30_000,
  tickMs: 1_000,
  uploadCacheBytes: 32 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 120_000,
  uselessPeerMs: 60_000,
  stopAnnounceTimeoutMs: 3_000,
};
