import { decodeDetailed } from '../bencode/decode.js';
import { isBytes, isDict, isInt } from '../bencode/types.js';
import { MetainfoError } from '../util/errors.js';
import { sha1 } from '../util/sha1.js';
import { optionalInt, optionalText, requireBytes, requireDict, requireInt, shown } from './fields.js';
import { parseFiles } from './files.js';
import { PieceLayout } from './layout.js';
import type { ListedFile, Metainfo } from './metainfo.js';
import { platformNameOptions, type SafeNameOptions } from './safe-path.js';
import { parseAnnounce, parseUrlList } from './trackers.js';

export const V2_UNSUPPORTED = 'v2 torrents are not supported yet';
const MAX_WARNINGS = 20;

/**
 * Parses and validates a v1 (or hybrid v1+v2) .torrent. Throws BencodeError for bytes that
 * are not bencode and MetainfoError for bencode that is not a usable torrent.
 */
export function parseTorrent(bytes: Buffer, opts: SafeNameOptions = platformNameOptions()): Metainfo {
  // only the info dictionary's span is needed (depth 1): spans of deeper values cost time
  const decoded = decodeDetailed(bytes, { spanDepth: 1 });
  const root = decoded.value;
  if (!isDict(root)) throw new MetainfoError('NOT_A_TORRENT', 'the file is bencode but not a dictionary, so not a torrent');
  const info = requireDict(root.info, 'info');
  const span = decoded.spanOf(info)!;
  // Never re-encode: a torrent with unsorted keys would get a different hash.
  const infoBytes = Buffer.from(bytes.subarray(span.start, span.end));
  const infoHash = sha1(infoBytes);
  const warnings: string[] = [];

  const metaVersion = info['meta version'];
  if (info.pieces === undefined && (metaVersion !== undefined || info['file tree'] !== undefined)) {
    throw new MetainfoError('V2_UNSUPPORTED', V2_UNSUPPORTED, 'info.meta version');
  }
  if (isInt(metaVersion) && metaVersion !== 1) {
    if (metaVersion !== 2) throw new MetainfoError('BAD_FIELD', `unsupported "meta version" ${metaVersion}`, 'info.meta version');
    warnings.push('hybrid v1+v2 torrent: loaded as v1');
  }

  const pieceLength = requireInt(info['piece length'], 'info.piece length');
  if (pieceLength <= 0) throw new MetainfoError('BAD_PIECE_LENGTH', `"info.piece length" must be positive, not ${pieceLength}`, 'info.piece length');
  const pieces = requireBytes(info.pieces, 'info.pieces');
  if (pieces.length % 20 !== 0) {
    throw new MetainfoError('BAD_PIECES', `"info.pieces" is ${pieces.length} bytes long, not a multiple of 20`, 'info.pieces');
  }

  const parsed = parseFiles(info, opts);
  warnings.push(...parsed.warnings);
  let layout: PieceLayout;
  try {
    layout = new PieceLayout(parsed.files, pieceLength);
  } catch (err) {
    throw new MetainfoError('BAD_LENGTH', `the files add up to more than 2^53 bytes (${(err as Error).message})`, 'info.files');
  }
  if (layout.totalLength === 0) throw new MetainfoError('EMPTY_TORRENT', 'the torrent holds no data: every file is empty', 'info.length');
  if (pieces.length / 20 !== layout.pieceCount) {
    throw new MetainfoError(
      'PIECE_COUNT',
      `"info.pieces" holds ${pieces.length / 20} hashes but ${layout.totalLength} bytes in pieces of ${pieceLength} need ${layout.pieceCount}`,
      'info.pieces',
    );
  }

  const files: ListedFile[] = [];
  layout.files.forEach((f, i) => {
    if (!f.pad) files.push({ index: files.length + 1, layoutIndex: i, path: [...f.path], length: f.length, offset: f.offset });
  });

  const priv = info.private;
  if (priv !== undefined && !isInt(priv)) warnings.push('ignored "info.private": not an integer');
  if (decoded.unsortedDicts > 0) {
    const n = decoded.unsortedDicts;
    warnings.push(`${n} ${n === 1 ? 'dictionary has' : 'dictionaries have'} keys out of order; the info hash is taken from the bytes as they are`);
  }
  const encoding = root.encoding;
  if (isBytes(encoding) && !/^utf-?8$/i.test(encoding.toString('latin1'))) {
    warnings.push(`"encoding" is ${shown(encoding.toString('latin1'))}; names are read as UTF-8`);
  }

  const m: Metainfo = {
    infoHash,
    infoHashHex: infoHash.toString('hex'),
    infoBytes,
    name: parsed.name,
    pieceLength,
    pieceHashes: Buffer.from(pieces),
    layout,
    files,
    multiFile: parsed.multiFile,
    announceTiers: parseAnnounce(root, warnings),
    urlList: parseUrlList(root, warnings),
    private: priv === 1,
    warnings,
  };
  const creationDate = optionalInt(root, 'creation date', warnings);
  const createdBy = optionalText(root, 'created by', warnings);
  const comment = optionalText(root, 'comment', warnings);
  if (creationDate !== undefined) m.creationDate = creationDate;
  if (createdBy !== undefined) m.createdBy = createdBy;
  if (comment !== undefined) m.comment = comment;
  if (warnings.length > MAX_WARNINGS) {
    const extra = warnings.length - MAX_WARNINGS;
    warnings.splice(MAX_WARNINGS, extra, `... and ${extra} more warnings`);
  }
  return m;
}

/** The 20-byte SHA-1 that piece `index` must have. */
export function pieceHash(m: Metainfo, index: number): Buffer {
  if (!Number.isInteger(index) || index < 0 || index >= m.layout.pieceCount) {
    throw new RangeError(`piece ${index} out of range 0..${m.layout.pieceCount - 1}`);
  }
  return m.pieceHashes.subarray(index * 20, index * 20 + 20);
}
