/** The picker's public types (re-exported by picker.ts). */

/** An opaque peer id the caller assigns (a finite number). */
export type PeerKey = number;

export interface BlockRequest {
  index: number;
  begin: number;
  length: number;
}

export interface PeerBlock extends BlockRequest {
  peer: PeerKey;
}

export interface ReceivedResult {
  /** False: we never asked this peer for the block, or it is already here. Drop the data. */
  readonly accepted: boolean;
  /** Every block of the piece is here: verify it, then call verified() or failed(). */
  readonly pieceDone: boolean;
  /** Other peers that had this block requested (endgame): send them a cancel. */
  readonly cancel: readonly PeerBlock[];
}

export type PieceState = 'unwanted' | 'wanted' | 'partial' | 'verifying' | 'have';

export interface PickerOptions {
  /** File selection: is piece `index` wanted at all? Default: every piece. */
  wanted?: (index: number) => boolean;
  /** Source of randomness in [0, 1), for tests. */
  random?: () => number;
  /** The first pieces started are picked at random, to have something to trade soon. Default 4. */
  initialRandomPieces?: number;
  /** Endgame: requesters of one block beyond the first. Default 2. */
  endgameDuplicates?: number;
  /**
   * Pieces are grouped into aligned extents of this many bytes; once rarest first has
   * chosen a piece for a peer, that peer goes on with the equally rare pieces of the same
   * extent, in order. Pieces then arrive as runs that are adjacent on disk (one write for
   * many pieces here, one read for many at the seeder). Pieces of this size or more are
   * picked one by one. Default 4 MiB (libtorrent's extent too); 0 turns it off.
   */
  extentBytes?: number;
}
