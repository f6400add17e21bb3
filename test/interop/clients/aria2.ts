import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { haveCommand } from '../../helpers/interop.js';
import { freePort } from '../../helpers/net.js';
import { Proc } from '../../helpers/proc.js';
import { waitUntil } from './common.js';
import { defer, scratchDir } from './cleanup.js';

export function haveAria2(): boolean {
  return haveCommand('aria2c');
}

export interface Aria2Options {
  torrentFile: string;
  /** Download folder; for a seeder, the folder that already holds the data. */
  dir: string;
  seed: boolean;
  /** Bytes per second. */
  uploadLimit?: number;
  /** Only MSE with RC4, both ways (and a debug log, where aria2 tells of each handshake). */
  requireCrypto?: boolean;
}

/** What aria2's RPC says about a download (numbers as aria2 sends them: decimal strings). */
export interface Aria2Status {
  status: string;
  totalLength: string;
  completedLength: string;
  uploadLength: string;
  connections: string;
  seeder?: string;
  verifyIntegrityPending?: string;
}

/**
 * aria2c 1.36 on 127.0.0.1 with the flags of INTEROP.md. A leecher (`--seed-time=0`) exits
 * 0 once its download is complete and verified. A seeder checks its data
 * (`--check-integrity`) and seeds until stopped; it answers JSON-RPC on 127.0.0.1 so the
 * test can see when the check is over and how much it uploaded. Either way it stops by
 * itself if this process goes away (`--stop-with-process`).
 */
export class Aria2Peer {
  private constructor(
    readonly proc: Proc,
    readonly port: number,
    private readonly rpc: { port: number; secret: string } | undefined,
    private readonly logFile: string,
  ) {}

  static async start(t: TestContext, opts: Aria2Options): Promise<Aria2Peer> {
    const work = scratchDir(t, 'swarm-interop-aria2-');
    const port = await freePort();
    const logFile = join(work, 'aria2.log');
    const args = [
      `--dir=${opts.dir}`,
      `--listen-port=${port}`,
      '--interface=127.0.0.1',
      '--disable-ipv6=true',
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--file-allocation=falloc',
      '--summary-interval=0',
      '--console-log-level=warn',
      `--log=${logFile}`,
      `--log-level=${opts.requireCrypto ? 'debug' : 'info'}`,
      `--stop-with-process=${process.pid}`,
      // no session or DHT files in the home folder
      '--no-conf=true',
      `--dht-file-path=${join(work, 'dht.dat')}`,
    ];
    let rpc: { port: number; secret: string } | undefined;
    if (opts.seed) {
      rpc = { port: await freePort(), secret: randomBytes(12).toString('hex') };
      args.push(
        '--seed-time=60',
        '--seed-ratio=0.0',
        '--check-integrity=true',
        '--enable-rpc=true',
        '--rpc-listen-all=false',
        `--rpc-listen-port=${rpc.port}`,
        `--rpc-secret=${rpc.secret}`,
      );
    } else {
      args.push('--seed-time=0', '--check-integrity=false');
    }
    if (opts.uploadLimit) args.push(`--max-overall-upload-limit=${opts.uploadLimit}`);
    if (opts.requireCrypto) args.push('--bt-require-crypto=true', '--bt-min-crypto-level=arc4');
    args.push(opts.torrentFile);
    const proc = new Proc('aria2c', args);
    const peer = new Aria2Peer(proc, port, rpc, logFile);
    defer(t, () => peer.stop());
    return peer;
  }

  /** The seeder's one download, through JSON-RPC. */
  async status(): Promise<Aria2Status | undefined> {
    if (!this.rpc) throw new Error('only a seeder answers RPC');
    const list = (await this.call('aria2.tellActive', [])) as Aria2Status[];
    return list[0];
  }

  private call(method: string, params: unknown[]): Promise<unknown> {
    const rpc = this.rpc!;
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [`token:${rpc.secret}`, ...params] });
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: rpc.port, path: '/jsonrpc', method: 'POST', timeout: 5_000, headers: { 'content-type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              const r = JSON.parse(Buffer.concat(chunks).toString()) as { result?: unknown; error?: { message: string } };
              if (r.error) reject(new Error(`aria2 RPC ${method}: ${r.error.message}`));
              else resolve(r.result);
            } catch (err) {
              reject(err);
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`aria2 RPC ${method} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Resolves once a seeder has checked its data and found it complete. */
  async whenSeeding(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    let last: Aria2Status | string | undefined;
    for (;;) {
      if (!this.proc.running) throw new Error(`aria2c exited early:\n${this.tail()}`);
      // the RPC server comes up a moment after the process starts
      last = await this.status().catch((err: unknown) => String(err));
      if (typeof last === 'object' && last.seeder === 'true' && last.completedLength === last.totalLength) return;
      if (Date.now() > deadline) throw new Error(`aria2 not seeding after ${ms} ms: ${JSON.stringify(last)}\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Resolves with the exit code once a leecher exits by itself. */
  async whenExited(ms: number): Promise<number | null> {
    const r = await this.proc.wait(ms).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${this.tail()}`);
    });
    return r.code;
  }

  /** Resolves once it accepts connections on its peer port (its log says so). */
  async whenListening(ms = 15_000): Promise<void> {
    const line = `listening on TCP port ${this.port}`;
    await waitUntil(
      () => {
        if (!this.proc.running) throw new Error(`aria2c exited early:\n${this.tail()}`);
        return existsSync(this.logFile) && readFileSync(this.logFile, 'utf8').includes(line);
      },
      ms,
      () => `aria2 not listening: ${this.tail()}`,
    );
  }

  /** Its whole log file so far. */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  tail(): string {
    const log = existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').split('\n').slice(-30).join('\n') : '';
    return `${this.proc.stdout.slice(-1000)}\n${this.proc.stderr.slice(-1000)}\n${log}`;
  }

  async stop(): Promise<void> {
    await this.proc.stop('SIGTERM', 5_000);
  }
}
