import type { PieceLayout } from './layout.js';

/** A validated v1 torrent (hybrid v1+v2 torrents load as v1). */
export interface Metainfo {
  /** SHA-1 of the info dictionary's bytes exactly as they stand in the file. */
  infoHash: Buffer;
  infoHashHex: string;
  /** The info dictionary's original bytes (served to peers as metadata, BEP 9). */
  infoBytes: Buffer;
  name: string;
  pieceLength: number;
  /** 20 bytes per piece. */
  pieceHashes: Buffer;
  /** Every file, padding included, with paths made safe for the disk. */
  layout: PieceLayout;
  /** The files a person sees: padding files left out. */
  files: ListedFile[];
  multiFile: boolean;
  /** BEP 12 tiers in file order (shuffling within a tier is the announcer's job). */
  announceTiers: string[][];
  /** BEP 19 web seeds. */
  urlList: string[];
  private: boolean;
  creationDate?: number;
  createdBy?: string;
  comment?: string;
  /** Things that were accepted but are worth telling a person about. */
  warnings: string[];
}

export interface ListedFile {
  /** 1-based, as `swarm info` lists it; `--select` uses it. */
  index: number;
  /** Index into `layout.files`. */
  layoutIndex: number;
  /** Same as the layout path: relative to the download folder, torrent name first. */
  path: string[];
  length: number;
  /** Offset of the file's first byte in the torrent's byte stream. */
  offset: number;
}

export { parseTorrent, pieceHash } from './parse.js';
export { loadTorrentFile, MAX_TORRENT_BYTES } from './load.js';
