import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { PYTHON } from '../../helpers/interop.js';
import { repoRoot } from '../../helpers/paths.js';
import { Proc } from '../../helpers/proc.js';
import { waitUntil } from './common.js';
import { defer } from './cleanup.js';

/** The script lives in the source tree: tsc does not copy .py files to the build folder. */
export const LT_SCRIPT = join(repoRoot(), 'test/interop/clients/py/lt_peer.py');

export interface LtStatus {
  event: string;
  state?: string;
  progress?: number;
  done?: number;
  wanted?: number;
  uploaded?: number;
  downloaded?: number;
  failed?: number;
  connections?: number;
  /** enc: 'rc4' or 'plaintext' for a connection made by an MSE handshake, 'none' for a plain one. */
  peers?: Array<{ ip: string; port: number; client: string; up: number; down: number; enc: 'rc4' | 'plaintext' | 'none' }>;
  port?: number;
  message?: string;
}

export interface LtOptions {
  torrentFile: string;
  /** The save path: for a seeder, the folder that holds the data. */
  dir: string;
  seed: boolean;
  /** Ports on 127.0.0.1 it dials once its data is checked. */
  peers?: number[];
  /** Bytes per second. */
  uploadLimit?: number;
  downloadLimit?: number;
  /** Seconds between its status lines (default 0.5). */
  every?: number;
  /** The script gives up by itself after this long. */
  timeoutSec?: number;
  /** 'rc4': it speaks MSE with RC4 only (in and out), as a peer that requires encryption. */
  encryption?: 'rc4';
}

/** libtorrent 2.0.8 through its Python binding, driven by py/lt_peer.py; stopped by PID when the test ends. */
export class LibtorrentPeer {
  readonly proc: Proc;
  private lines = 0;
  last: LtStatus | undefined;
  seeding = false;
  /**
   * How its connections that carried payload were made, over every status it printed (see
   * LtStatus.peers; one still handshaking shows 'none').
   */
  readonly encryptions = new Set<string>();
  /** What it calls its peers that carried payload (from their extended handshakes, or peer ids). */
  readonly peerClients = new Set<string>();

  constructor(t: TestContext, opts: LtOptions) {
    const args = [LT_SCRIPT, '--torrent', opts.torrentFile, '--save', opts.dir, '--timeout', String(opts.timeoutSec ?? 240)];
    if (opts.seed) args.push('--seed');
    for (const p of opts.peers ?? []) args.push('--peer', String(p));
    if (opts.uploadLimit) args.push('--upload-limit', String(opts.uploadLimit));
    if (opts.downloadLimit) args.push('--download-limit', String(opts.downloadLimit));
    if (opts.every) args.push('--every', String(opts.every));
    if (opts.encryption) args.push('--encryption', opts.encryption);
    // stdin is a pipe it watches: if this process dies, the script sees EOF and exits
    this.proc = new Proc(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    defer(t, () => this.stop());
  }

  /** Parses the JSON lines printed so far. */
  private poll(): void {
    const all = this.proc.stdout.split('\n');
    for (; this.lines < all.length - 1; this.lines++) {
      const s = JSON.parse(all[this.lines]!) as LtStatus;
      if (s.event === 'seeding') this.seeding = true;
      for (const p of s.peers ?? []) {
        if (p.up === 0 && p.down === 0) continue;
        this.encryptions.add(p.enc);
        this.peerClients.add(p.client);
      }
      if (s.event !== 'listening') this.last = s;
    }
  }

  get port(): number {
    const m = this.proc.stdout.match(/"event": "listening", "port": (\d+)/);
    if (!m) throw new Error('libtorrent has not reported its port yet');
    return Number(m[1]);
  }

  async listening(ms = 15_000): Promise<number> {
    await this.proc.waitFor(/"event": "listening", "port": \d+/, ms);
    return this.port;
  }

  /** Resolves once the data is complete and checked (a seeder right after its check). */
  async whenSeeding(ms: number): Promise<void> {
    await waitUntil(
      () => {
        this.poll();
        if (!this.proc.running && !this.seeding) throw new Error(`libtorrent exited early:\n${this.tail()}`);
        return this.seeding;
      },
      ms,
      () => `libtorrent not seeding: ${this.tail()}`,
    );
  }

  /** Bytes of payload libtorrent says it uploaded, and what it says about each peer. */
  status(): LtStatus | undefined {
    this.poll();
    return this.last;
  }

  tail(): string {
    return `${this.proc.stdout.split('\n').slice(-3).join('\n')}\n${this.proc.stderr.slice(-2000)}`;
  }

  async stop(): Promise<void> {
    this.proc.child.stdin?.end();
    await this.proc.stop('SIGTERM', 5_000);
    this.poll();
  }
}
