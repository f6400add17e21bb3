import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { encode } from '../../../../src/bencode/encode.js';
import { httpAnnounce, httpGet, httpScrape } from '../../../../src/tracker/client/http.js';
import { encodeCompactPeer } from '../../../../src/tracker/protocol/compact.js';
import { parseHttpAnnounce, parseQuery } from '../../../../src/tracker/protocol/http-server.js';
import type { AnnounceParams } from '../../../../src/tracker/protocol/types.js';
import { TrackerError } from '../../../../src/util/errors.js';
import { haveCommand } from '../../../helpers/interop.js';
import { tempDir } from '../../../helpers/tmp.js';

const params: AnnounceParams = { infoHash: Buffer.alloc(20, 0xfe), peerId: Buffer.from('-SW0001-123456789012'), port: 6881, uploaded: 1, downloaded: 2, left: 3, event: 'started' };

async function serve(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void, server: Server = createServer()): Promise<string> {
  server.on('request', handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

const code = (c: string) => (e: unknown) => e instanceof TrackerError && e.code === c;

test('announce: the tracker gets every parameter as bytes, we get its peers', async (t) => {
  let seen: ReturnType<typeof parseHttpAnnounce> | undefined;
  let ua = '';
  const host = await serve(t, (req, res) => {
    seen = parseHttpAnnounce(parseQuery(req.url!.split('?')[1]!));
    ua = req.headers['user-agent'] ?? '';
    res.end(encode({ interval: 900, peers: encodeCompactPeer('10.9.8.7', 4321)! }));
  });
  const r = await httpAnnounce(`http://${host}/announce`, params);
  assert.deepEqual(r, { interval: 900, peers: [{ host: '10.9.8.7', port: 4321 }] });
  assert.deepEqual(seen!.infoHash, params.infoHash);
  assert.deepEqual(seen!.peerId, params.peerId);
  assert.equal(seen!.event, 'started');
  assert.match(ua, /^swarm\//);
});

test('failure reason (even with a non-200 status), bare HTTP errors, refused connections', async (t) => {
  const host = await serve(t, (req, res) => {
    if (req.url!.startsWith('/fail')) {
      res.statusCode = 400;
      return res.end(encode({ 'failure reason': 'unregistered torrent' }));
    }
    if (req.url!.startsWith('/html')) return res.end('<html>hello</html>');
    res.statusCode = 404;
    res.end('nope');
  });
  await assert.rejects(httpAnnounce(`http://${host}/fail/announce`, params), (e: unknown) => code('FAILURE')(e) && (e as Error).message === 'tracker refused: unregistered torrent');
  await assert.rejects(httpAnnounce(`http://${host}/missing/announce`, params), (e: unknown) => code('HTTP_STATUS')(e) && (e as Error).message === 'HTTP 404');
  await assert.rejects(httpAnnounce(`http://${host}/html/announce`, params), code('MALFORMED'));
  // a port nobody listens on: bind, learn the port, close
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const free = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  await assert.rejects(httpAnnounce(`http://127.0.0.1:${free}/announce`, params), (e: unknown) => code('NETWORK')(e) && (e as Error).message === 'connection refused');
  await assert.rejects(httpAnnounce('ftp://x/announce', params), code('BAD_URL'));
});

test('the answer size is capped, by content-length and by counting', async (t) => {
  const big = Buffer.alloc(64 * 1024, 0x61);
  const host = await serve(t, (req, res) => {
    if (req.url!.startsWith('/declared')) {
      res.setHeader('content-length', big.length);
      return res.end(big);
    }
    res.write(big.subarray(0, 20_000));
    res.write(big.subarray(0, 20_000));
    res.end(big);
  });
  await assert.rejects(httpGet(`http://${host}/declared`, { maxBytes: 1000 }), (e: unknown) => code('TOO_LARGE')(e) && /larger than 1000 bytes/.test((e as Error).message));
  await assert.rejects(httpGet(`http://${host}/chunked`, { maxBytes: 30_000 }), code('TOO_LARGE'));
  const ok = await httpGet(`http://${host}/chunked`, { maxBytes: 200_000 });
  assert.equal(ok.body.length, 40_000 + big.length);
});

test('a tracker that never answers times out; an outer abort cancels', async (t) => {
  const host = await serve(t, () => {});
  const t0 = Date.now();
  await assert.rejects(httpAnnounce(`http://${host}/announce`, params, { timeoutMs: 150 }), (e: unknown) => code('TIMEOUT')(e) && (e as Error).message === 'no answer within 0.2 s');
  assert.ok(Date.now() - t0 < 2000);
  const ac = new AbortController();
  setTimeout(() => ac.abort(new TrackerError('ABORTED', 'shutting down')), 50);
  await assert.rejects(httpAnnounce(`http://${host}/announce`, params, { signal: ac.signal }), /shutting down/);
});

test('redirects are followed a few times, not forever', async (t) => {
  const host = await serve(t, (req, res) => {
    if (req.url!.startsWith('/loop')) {
      res.writeHead(302, { location: '/loop' });
      return res.end();
    }
    if (req.url!.startsWith('/old')) {
      res.writeHead(301, { location: `/new${req.url!.slice(4)}` });
      return res.end();
    }
    res.end(encode({ interval: 5, peers: Buffer.alloc(0) }));
  });
  assert.deepEqual(await httpAnnounce(`http://${host}/old/announce`, params), { interval: 5, peers: [] });
  await assert.rejects(httpAnnounce(`http://${host}/loop`, params), code('HTTP_STATUS'));
});

test('scrape: BEP 48 address and answer', async (t) => {
  let path = '';
  const host = await serve(t, (req, res) => {
    path = req.url!.split('?')[0]!;
    const m = new Map([[params.infoHash, { complete: 4, downloaded: 5, incomplete: 6 }]]);
    res.end(encode({ files: m }));
  });
  assert.deepEqual(await httpScrape(`http://${host}/x/announce?pk=1`, params.infoHash), { complete: 4, incomplete: 6, downloaded: 5 });
  assert.equal(path, '/x/scrape');
  await assert.rejects(httpScrape(`http://${host}/tracker`, params.infoHash), code('NO_SCRAPE'));
});

test('HTTPS trackers work (self-signed certificate trusted through `ca`)', async (t) => {
  if (!haveCommand('openssl')) return t.skip('openssl is not installed: cannot make a test certificate');
  const dir = tempDir(t);
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore', timeout: 30_000 });
  assert.equal(r.status, 0, 'openssl made a certificate');
  const cert = readFileSync(join(dir, 'cert.pem'));
  const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert });
  const host = await serve(t, (_req, res) => res.end(encode({ interval: 7, peers: encodeCompactPeer('10.0.0.5', 55)! })), server as unknown as Server);
  assert.deepEqual(await httpAnnounce(`https://${host}/announce`, params, { ca: cert }), { interval: 7, peers: [{ host: '10.0.0.5', port: 55 }] });
  // without trusting it, the certificate is refused: a tracker error, not a crash
  await assert.rejects(httpAnnounce(`https://${host}/announce`, params), code('NETWORK'));
});
