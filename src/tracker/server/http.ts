import type { IncomingMessage, ServerResponse } from 'node:http';
import { TrackerError, errorMessage } from '../../util/errors.js';
import { normalizeAddress } from '../protocol/ip.js';
import { encodeHttpAnnounce, encodeHttpFailure, encodeHttpScrape, parseHttpAnnounce, parseHttpScrape, parseQuery } from '../protocol/http-server.js';
import type { TrackerCore } from './core.js';

function send(res: ServerResponse, status: number, body: Buffer | string, type = 'text/plain'): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

/** GET /announce, /scrape and /stats. Every failure is a bencoded failure reason (or a 404/405), never a crash. */
export function httpHandler(core: TrackerCore): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const remote = req.socket.remoteAddress ?? '';
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'only GET\n');
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q >= 0 ? url.slice(0, q) : url;
      const query = q >= 0 ? url.slice(q + 1) : '';
      if (path === '/announce') return announce(core, remote, query, res);
      if (path === '/scrape') return scrape(core, query, res);
      if (path === '/stats') return send(res, 200, `${JSON.stringify(core.stats())}\n`, 'application/json');
      return send(res, 404, 'not found: this tracker answers /announce, /scrape and /stats\n');
    } catch (err) {
      const reason = err instanceof TrackerError ? err.message : 'internal error';
      if (!(err instanceof TrackerError)) core.emit({ event: 'internal-error', message: errorMessage(err) });
      core.bad('http', remote, reason);
      if (!res.headersSent) send(res, 200, encodeHttpFailure(reason));
    }
  };
}

function announce(core: TrackerCore, remote: string, query: string, res: ServerResponse): void {
  const a = parseHttpAnnounce(parseQuery(query));
  const from = normalizeAddress(remote);
  const ans = core.announce(a, from, 'http', !a.compact);
  if (!ans.ok) return send(res, 200, encodeHttpFailure(ans.reason));
  const reply = {
    interval: core.interval,
    minInterval: core.minInterval,
    complete: ans.complete,
    incomplete: ans.incomplete,
    downloaded: ans.downloaded,
    peers4: Buffer.concat(ans.compact4),
    peers6: Buffer.concat(ans.compact6),
  };
  const dict = a.compact
    ? undefined
    : (ans.peers ?? []).map((p) => ({ ip: p.host, port: p.port, ...(a.noPeerId ? {} : { peerId: p.peerId }) }));
  send(res, 200, encodeHttpAnnounce(reply, dict));
}

function scrape(core: TrackerCore, query: string, res: ServerResponse): void {
  const hashes = parseHttpScrape(parseQuery(query));
  if (hashes.length === 0) throw new TrackerError('BAD_REQUEST', 'full scrape is not supported: name info_hash');
  const stats = core.scrape(hashes, 'http');
  const files = hashes.map((infoHash, i) => ({ infoHash, ...stats[i]! })).filter((f) => core.allowed(f.infoHash));
  send(res, 200, encodeHttpScrape(files));
}
