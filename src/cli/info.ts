import type { Command } from 'commander';
import { formatMagnet, parseTarget, type Magnet } from '../metainfo/magnet.js';
import { loadTorrentFile, type Metainfo } from '../metainfo/metainfo.js';
import { scrape, type ScrapeResult } from '../tracker/client/scrape.js';
import { formatBytes, printable, printJson } from './output.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('show what is inside a .torrent file or a magnet link')
    .argument('<target>', 'a .torrent file, a magnet link, or an info hash')
    .option('--json', 'print one JSON object')
    .option('--scrape', "also ask the trackers how many seeders and leechers they know (BEP 48)")
    .action(async (target: string, opts: { json?: boolean; scrape?: boolean }) => {
      const t = parseTarget(target);
      if (t.kind === 'magnet') {
        const results = opts.scrape ? await scrape([t.magnet.trackers], t.magnet.infoHash, { timeoutMs: SCRAPE_TIMEOUT_MS }) : undefined;
        if (opts.json) printJson({ ...magnetJson(t.magnet), ...(results ? { scrape: results } : {}) });
        else process.stdout.write(magnetText(t.magnet) + (results ? scrapeText(results) : ''));
        return;
      }
      const m = await loadTorrentFile(t.path);
      const results = opts.scrape ? await scrape(m.announceTiers, m.infoHash, { timeoutMs: SCRAPE_TIMEOUT_MS }) : undefined;
      if (opts.json) {
        printJson({ ...torrentJson(m), ...(results ? { scrape: results } : {}) });
        return;
      }
      for (const w of m.warnings) process.stderr.write(`swarm: warning: ${printable(w)}\n`);
      process.stdout.write(torrentText(m) + (results ? scrapeText(results) : ''));
    });
}

/** A dead tracker must not hold `swarm info --scrape` for long. */
const SCRAPE_TIMEOUT_MS = 5_000;

export function scrapeText(results: ScrapeResult[]): string {
  if (results.length === 0) return 'scrape      no trackers\n';
  const lines = results.map((r) =>
    r.error !== undefined
      ? `  ${printable(r.url)}  failed: ${printable(r.error)}`
      : `  ${printable(r.url)}  seeders ${r.complete ?? '?'}, leechers ${r.incomplete ?? '?'}, downloaded ${r.downloaded ?? '?'}`,
  );
  return `scrape\n${lines.join('\n')}\n`;
}

export function torrentMagnet(m: Metainfo): string {
  return formatMagnet({ infoHashHex: m.infoHashHex, name: m.name, trackers: m.announceTiers.flat(), webSeeds: m.urlList });
}

export function torrentJson(m: Metainfo): Record<string, unknown> {
  return {
    kind: 'torrent',
    name: m.name,
    infoHash: m.infoHashHex,
    size: m.files.reduce((s, f) => s + f.length, 0),
    pieceLength: m.pieceLength,
    pieceCount: m.layout.pieceCount,
    private: m.private,
    multiFile: m.multiFile,
    files: m.files.map((f) => ({ index: f.index, path: f.path.join('/'), length: f.length, offset: f.offset })),
    trackers: m.announceTiers,
    webSeeds: m.urlList,
    createdBy: m.createdBy ?? null,
    creationDate: m.creationDate ?? null,
    comment: m.comment ?? null,
    magnet: torrentMagnet(m),
    warnings: m.warnings,
  };
}

export function magnetJson(g: Magnet): Record<string, unknown> {
  return {
    kind: 'magnet',
    name: g.name ?? null,
    infoHash: g.infoHashHex,
    trackers: g.trackers,
    webSeeds: g.webSeeds,
    peers: g.peers.map((p) => `${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`),
    magnet: formatMagnet(g),
  };
}

function row(label: string, value: string): string {
  return `${label.padEnd(12)}${printable(value)}\n`;
}

export function torrentText(m: Metainfo): string {
  const size = m.files.reduce((s, f) => s + f.length, 0);
  const l = m.layout;
  let out = row('name', m.name);
  out += row('info hash', m.infoHashHex);
  out += row('size', `${formatBytes(size)} (${size} bytes) in ${m.files.length} ${m.files.length === 1 ? 'file' : 'files'}`);
  const last = l.lastPieceLength === l.pieceLength ? '' : `, last ${formatBytes(l.lastPieceLength)}`;
  out += row('pieces', `${l.pieceCount} x ${formatBytes(m.pieceLength)}${last}`);
  out += row('private', m.private ? 'yes' : 'no');
  if (m.createdBy !== undefined) out += row('created by', m.createdBy);
  if (m.creationDate !== undefined) out += row('created', formatDate(m.creationDate));
  if (m.comment !== undefined) out += row('comment', m.comment.replace(/\r?\n/g, ' '));
  out += 'files\n';
  const width = String(m.files.length).length;
  for (const f of m.files) {
    out += `  ${String(f.index).padStart(width)}  ${formatBytes(f.length).padStart(10)}  ${printable(f.path.join('/'))}\n`;
  }
  out += 'trackers\n';
  if (m.announceTiers.length === 0) out += '  (none)\n';
  m.announceTiers.forEach((tier, i) => {
    out += `  tier ${i + 1}  ${printable(tier.join(' '))}\n`;
  });
  if (m.urlList.length > 0) {
    out += 'web seeds\n';
    for (const u of m.urlList) out += `  ${printable(u)}\n`;
  }
  out += row('magnet', torrentMagnet(m));
  return out;
}

export function magnetText(g: Magnet): string {
  let out = '';
  if (g.name !== undefined) out += row('name', g.name);
  out += row('info hash', g.infoHashHex);
  out += 'trackers\n';
  if (g.trackers.length === 0) out += '  (none)\n';
  for (const t of g.trackers) out += `  ${printable(t)}\n`;
  if (g.webSeeds.length > 0) {
    out += 'web seeds\n';
    for (const u of g.webSeeds) out += `  ${printable(u)}\n`;
  }
  if (g.peers.length > 0) {
    out += 'peers\n';
    for (const p of g.peers) out += `  ${printable(p.host.includes(':') ? `[${p.host}]` : p.host)}:${p.port}\n`;
  }
  out += row('magnet', formatMagnet(g));
  out += '(a magnet link holds only this; the file list comes from peers)\n';
  return out;
}

function formatDate(unix: number): string {
  const d = new Date(unix * 1000);
  if (Number.isNaN(d.getTime())) return String(unix);
  return `${d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} UTC`;
}
