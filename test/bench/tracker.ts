import { createSocket, type Socket } from 'node:dgram';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAnnounceRequest, encodeConnectRequest } from '../../src/tracker/protocol/udp.js';
import { haveCommand } from '../helpers/interop.js';
import { freePort } from '../helpers/net.js';
import { swarmEntry } from '../helpers/paths.js';
import { Proc } from '../helpers/proc.js';
import { isMain } from './standalone.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/** The load generator sends to this address only. */
const TARGET = '127.0.0.1';
const SOCKETS = 8;
/** Announces in flight per socket. */
const WINDOW = 64;
const TORRENTS = 100;
const PEERS_PER_TORRENT = 100;
const ROUNDS = 5;

const hashes = Array.from({ length: TORRENTS }, (_, i) => {
  const h = Buffer.alloc(20, 0xb0);
  h.writeUInt32BE(i, 0);
  return h;
});

/**
 * A closed loop of UDP announces against one tracker for `ms`: SOCKETS client sockets,
 * each with a connection id of its own and WINDOW announces in flight; every answer sends
 * the next one. Packets lost under load are replaced after 100 ms of silence. The packets
 * are built before the clock starts and the sockets are connected, so the generator spends
 * as little CPU as it can (it shares the machine with the tracker). Returns answered
 * announces per second.
 */
export async function load(port: number, ms: number): Promise<{ perSecond: number; errors: number }> {
  const sockets: Socket[] = [];
  let answered = 0;
  let errors = 0;
  let stop = false;
  const ticks: NodeJS.Timeout[] = [];
  const peers = TORRENTS * PEERS_PER_TORRENT;
  try {
    await Promise.all(
      Array.from({ length: SOCKETS }, async (_, s) => {
        const sock = createSocket('udp4');
        sockets.push(sock);
        await new Promise<void>((r) => sock.bind(0, TARGET, () => r()));
        await new Promise<void>((r) => sock.connect(port, TARGET, () => r()));
        const cid = await new Promise<Buffer>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no connect answer from ${TARGET}:${port}`)), 5000);
          sock.once('message', (m: Buffer) => {
            clearTimeout(timer);
            resolve(Buffer.from(m.subarray(8, 16)));
          });
          sock.send(encodeConnectRequest(s));
        });
        // this socket's share of the peers, each announce ready to go
        const packets: Buffer[] = [];
        for (let peer = s; peer < peers; peer += SOCKETS) {
          const peerId = Buffer.alloc(20, 0x2d);
          peerId.writeUInt32BE(peer, 16);
          const left = peer % 4 === 0 ? 0 : 1000;
          packets.push(encodeAnnounceRequest(cid, peer, { infoHash: hashes[peer % TORRENTS]!, peerId, port: 10_000 + peer, uploaded: 0, downloaded: 0, left, numwant: 50 }));
        }
        let next = 0;
        const send = () => {
          sock.send(packets[next]!);
          next = next + 1 === packets.length ? 0 : next + 1;
        };
        let got = 0;
        let seen = 0;
        sock.on('message', (m: Buffer) => {
          got++;
          if (m.length >= 8 && m[3] === 1) answered++;
          else errors++;
          if (!stop) send();
        });
        for (let i = 0; i < WINDOW; i++) send();
        // a silent tick means the window was lost (dropped under load): refill it
        ticks.push(
          setInterval(() => {
            if (!stop && got === seen) for (let i = 0; i < WINDOW; i++) send();
            seen = got;
          }, 100),
        );
      }),
    );
    const start = answered;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, ms));
    const count = answered - start;
    const elapsed = performance.now() - t0;
    return { perSecond: Math.round(count / (elapsed / 1000)), errors };
  } finally {
    stop = true;
    for (const t of ticks) clearInterval(t);
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

async function waitUdp(port: number, p: Proc, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      const timer = setTimeout(() => s.close(() => resolve(false)), 200);
      s.once('message', () => {
        clearTimeout(timer);
        s.close(() => resolve(true));
      });
      s.send(encodeConnectRequest(1), port, TARGET);
    });
    if (ok) return;
    if (!p.running || Date.now() > deadline) throw new Error(`${what} did not answer on UDP ${port}: ${p.stderr}`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/**
 * A UDP server that does no tracker work: it answers each packet with 320 bytes (the size
 * of a 50-peer announce answer). What it reaches is the most any Node.js UDP server can
 * answer here under this load: the floor set by the runtime, not by the tracker.
 */
const ECHO = `
const s = require('node:dgram').createSocket({ type: 'udp4', lookup: (a, f, cb) => cb(null, a, 4) });
const out = Buffer.alloc(320);
s.on('message', (m, r) => { out.writeUInt32BE(m.length >= 16 && m.readUInt32BE(8) === 1 ? 1 : 0, 0); m.copy(out, 4, 12, 16); s.send(out, r.port, r.address); });
s.bind(Number(process.argv[1]), '127.0.0.1', () => s.setRecvBufferSize(4 * 1024 * 1024));
`;

interface Target {
  key: string;
  port: number;
  rates: number[];
}

/**
 * UDP announces per second that `swarm tracker` answers, and opentracker under the same
 * load in the same run, interleaved (swarm, opentracker, echo, swarm, ...). `seconds` is
 * the measured time per phase. A Node.js echo server is measured too, as the ceiling of
 * any Node.js UDP server on this machine.
 */
export async function benchTracker(opts: { seconds?: number } = {}): Promise<BenchResult[]> {
  const ms = (opts.seconds ?? 2) * 1000;
  const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-tracker-'));
  const procs: Proc[] = [];
  try {
    const targets: Target[] = [];
    const swarmPort = await freePort();
    const swarm = new Proc(process.execPath, [swarmEntry(), 'tracker', '--port', String(swarmPort), '--host', TARGET]);
    procs.push(swarm);
    await waitUdp(swarmPort, swarm, 'swarm tracker');
    targets.push({ key: 'swarm', port: swarmPort, rates: [] });
    const haveOt = haveCommand('opentracker');
    if (haveOt) {
      chmodSync(dir, 0o755);
      writeFileSync(join(dir, 'whitelist.txt'), hashes.map((h) => h.toString('hex')).join('\n') + '\n');
      chmodSync(join(dir, 'whitelist.txt'), 0o644);
      const port = await freePort();
      const args = ['-i', TARGET, '-p', String(port), '-P', String(port), '-d', dir, '-w', 'whitelist.txt'];
      if (process.getuid?.() === 0) args.push('-u', 'nobody');
      const proc = new Proc('opentracker', args, { cwd: dir });
      procs.push(proc);
      await waitUdp(port, proc, 'opentracker');
      targets.push({ key: 'opentracker', port, rates: [] });
    }
    const echoPort = await freePort();
    const echo = new Proc(process.execPath, ['-e', ECHO, String(echoPort)]);
    procs.push(echo);
    await waitUdp(echoPort, echo, 'the echo server');
    targets.push({ key: 'echo', port: echoPort, rates: [] });

    let swarmErrors = 0;
    // a short warm-up each, so none pays for a cold start (JIT, first allocations)
    for (const t of targets) await load(t.port, 300);
    for (let r = 0; r < ROUNDS; r++) {
      for (const t of targets) {
        const res = await load(t.port, ms);
        t.rates.push(res.perSecond);
        if (t.key === 'swarm') swarmErrors += res.errors;
      }
    }
    const by = (k: string) => targets.find((t) => t.key === k);
    const sw = median(by('swarm')!.rates);
    const how = `${SOCKETS} sockets x ${WINDOW} in flight, ${TORRENTS} torrents x ${PEERS_PER_TORRENT} peers, numwant 50, ${ROUNDS} interleaved rounds of ${ms / 1000} s, median`;
    const out: BenchResult[] = [
      { name: 'tracker: UDP announces/s answered by swarm tracker', value: sw, unit: 'announces/s', note: `${how}; rounds ${by('swarm')!.rates.join(', ')}${swarmErrors ? `; ${swarmErrors} error answers` : ''}` },
    ];
    const ot = by('opentracker');
    if (ot) {
      const o = median(ot.rates);
      out.push({ name: 'tracker: UDP announces/s answered by opentracker', value: o, unit: 'announces/s', note: `same load; rounds ${ot.rates.join(', ')}` });
      // each round's two phases ran back to back: their ratio is the least disturbed by
      // whatever else the machine was doing, so report the median of those
      const ratios = by('swarm')!.rates.map((r, i) => r / ot.rates[i]!);
      out.push({
        name: 'tracker: swarm / opentracker',
        value: Math.round(median(ratios) * 100) / 100,
        unit: 'ratio',
        note: `median of per-round ratios ${ratios.map((x) => x.toFixed(2)).join(', ')}; goal: at least 0.5`,
      });
    } else {
      out.push({ name: 'tracker: UDP announces/s answered by opentracker', value: 0, unit: 'announces/s', note: 'opentracker is not installed (npm run setup:interop): not measured, no comparison' });
    }
    const e = by('echo')!;
    out.push({ name: 'tracker: UDP answers/s of a Node.js echo server (no tracker work)', value: median(e.rates), unit: 'answers/s', note: `the ceiling of any Node.js UDP server under this load; rounds ${e.rates.join(', ')}` });
    return out;
  } finally {
    await Promise.all(procs.map((p) => p.stop('SIGTERM', 3000)));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const seconds = Number(process.env.SWARM_BENCH_SECONDS ?? 2);
  for (const r of await benchTracker({ seconds })) {
    console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` (${r.note})` : ''}`);
  }
}
