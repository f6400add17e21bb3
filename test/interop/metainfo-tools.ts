import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Metainfo } from '../../src/metainfo/metainfo.js';
import { PYTHON } from '../helpers/interop.js';
import { run } from '../helpers/proc.js';

/** What libtorrent (python3-libtorrent) says about a .torrent: the oracle for these tests. */
export interface LtView {
  infoHash: string | null;
  name: string;
  pieces: number;
  pieceLength: number;
  files: Array<{ path: string; size: number; pad: boolean }>;
  trackers: Array<[string, number]>;
  webSeeds: string[];
  private: boolean;
}

const INSPECT = `
import json, sys, libtorrent as lt
out = []
for p in sys.argv[1:]:
    ti = lt.torrent_info(p)
    fs = ti.files()
    ih = ti.info_hashes()
    out.append({
        'infoHash': str(ih.v1) if ih.has_v1() else None,
        'name': ti.name(),
        'pieces': ti.num_pieces(),
        'pieceLength': ti.piece_length(),
        'files': [{'path': fs.file_path(i), 'size': fs.file_size(i),
                   'pad': bool(fs.file_flags(i) & lt.file_storage.flag_pad_file)} for i in range(fs.num_files())],
        'trackers': [[t.url, t.tier] for t in ti.trackers()],
        'webSeeds': [w['url'] for w in ti.web_seeds()],
        'private': bool(ti.priv()),
    })
print(json.dumps(out))
`;

export async function libtorrentView(...paths: string[]): Promise<LtView[]> {
  const r = await run(PYTHON, ['-c', INSPECT, ...paths], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `libtorrent could not load ${paths.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as LtView[];
}

/**
 * libtorrent's own v1 info hash for files hashed in the order given (libtorrent's add_files
 * would list them in directory order, so the order is handed to it explicitly).
 */
const CREATE = `
import json, sys, libtorrent as lt
spec = json.loads(sys.argv[1])
fs = lt.file_storage()
for rel, size in spec['files']:
    fs.add_file(rel, size)
ct = lt.create_torrent(fs, spec['pieceLength'], flags=lt.create_torrent.v1_only)
lt.set_piece_hashes(ct, spec['parent'])
print(lt.torrent_info(ct.generate()).info_hash())
`;

export async function libtorrentCreateHash(parent: string, files: Array<[string, number]>, pieceLength: number): Promise<string> {
  const r = await run(PYTHON, ['-c', CREATE, JSON.stringify({ parent, files, pieceLength })], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** Our parse must report what libtorrent reports: info hash, files, pieces, trackers, web seeds, private. */
export function assertSameAsLibtorrent(m: Metainfo, lt: LtView, what: string): void {
  assert.equal(m.infoHashHex, lt.infoHash, `${what}: info hash`);
  assert.equal(m.name, lt.name, `${what}: name`);
  assert.equal(m.layout.pieceCount, lt.pieces, `${what}: piece count`);
  assert.equal(m.pieceLength, lt.pieceLength, `${what}: piece length`);
  assert.deepEqual(
    m.files.map((f) => ({ path: f.path.join('/'), size: f.length })),
    lt.files.filter((f) => !f.pad).map((f) => ({ path: f.path, size: f.size })),
    `${what}: files`,
  );
  assert.equal(m.layout.files.length, lt.files.length, `${what}: files with padding`);
  // libtorrent shuffles the trackers within a tier when it loads a torrent (BEP 12), so
  // compare tiers as sets; the tests check our file order separately
  const byTier = (a: Array<[string, number]>): string[] => a.map(([u, tier]) => `${tier} ${u}`).sort();
  assert.deepEqual(
    byTier(m.announceTiers.flatMap((tier, i) => tier.map((u): [string, number] => [u, i]))),
    byTier(lt.trackers),
    `${what}: trackers by tier`,
  );
  assert.deepEqual(m.urlList, lt.webSeeds, `${what}: web seeds`);
  assert.equal(m.private, lt.private, `${what}: private`);
}

/**
 * Deterministic payloads: a single odd-sized file, and a folder with odd sizes, a 0-byte
 * file, a file smaller than one 16 KiB block, a hidden file, nested folders, and names
 * whose byte order differs from a case-insensitive or per-component order.
 */
export function makePayloads(dir: string): { single: string; multi: string; multiFiles: Array<[string, number]> } {
  let x = 12345;
  const bytes = (n: number): Buffer => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      b[i] = x >>> 24;
    }
    return b;
  };
  const single = join(dir, 'single.bin');
  writeFileSync(single, bytes(100_003));
  const multi = join(dir, 'multi');
  const files: Array<[string, number]> = [
    ['.hidden', 17],
    ['Big.bin', 70_001],
    ['a-b.txt', 3],
    ['a.bin', 33_333],
    ['a/z.txt', 1000],
    ['empty', 0],
    ['sub/deeper/odd.bin', 49_153],
    ['sub/small', 5],
  ];
  for (const [rel, n] of files) {
    const p = join(multi, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, bytes(n));
  }
  return { single, multi, multiFiles: files };
}
