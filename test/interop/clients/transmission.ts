import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { decode } from '../../../src/bencode/decode.js';
import { isDict, isInt } from '../../../src/bencode/types.js';
import { haveCommand } from '../../helpers/interop.js';
import { freePort } from '../../helpers/net.js';
import { Proc } from '../../helpers/proc.js';
import { waitUntil } from './common.js';
import { defer, scratchDir } from './cleanup.js';

export function haveTransmission(): boolean {
  return haveCommand('transmission-cli') && haveCommand('stdbuf') && haveCommand('timeout');
}

/** Seconds after which `timeout` stops it, whatever happens to the test. */
const LIFETIME_S = 300;

export interface TransmissionOptions {
  torrentFile: string;
  /** Download folder; for a seeder, the folder that already holds the data. */
  dir: string;
  /** `-er`: every peer connection encrypted (MSE with RC4). */
  encryptionRequired?: boolean;
}

/** Loopback only, nothing that finds peers by itself, no RPC server. */
const SETTINGS = {
  'bind-address-ipv4': '127.0.0.1',
  'bind-address-ipv6': '::1',
  'dht-enabled': false,
  'lpd-enabled': false,
  'pex-enabled': false,
  'utp-enabled': false,
  'port-forwarding-enabled': false,
  'rpc-enabled': false,
  'blocklist-enabled': false,
};

/**
 * transmission-cli 3.00. It never exits by itself: `-f` runs a script that drops a marker
 * file when the torrent completes, and the test stops it by PID. It never dials loopback
 * peers a tracker names, so the swarm side has to dial it (at `port`).
 */
export class TransmissionPeer {
  private constructor(
    readonly proc: Proc,
    readonly port: number,
    private readonly configDir: string,
    private readonly marker: string,
  ) {}

  static async start(t: TestContext, opts: TransmissionOptions): Promise<TransmissionPeer> {
    const configDir = scratchDir(t, 'swarm-interop-tr-');
    writeFileSync(join(configDir, 'settings.json'), JSON.stringify(SETTINGS, null, 1));
    const marker = join(configDir, 'finished');
    const script = join(configDir, 'done.sh');
    writeFileSync(script, `#!/bin/sh\necho "$TR_TORRENT_NAME" > '${marker}'\n`, { mode: 0o755 });
    const port = await freePort();
    const args = ['-g', configDir, '-w', opts.dir, '-p', String(port), '-f', script, ...(opts.encryptionRequired ? ['-er'] : []), opts.torrentFile];
    // Its status line reaches a pipe in whole blocks unless stdout is unbuffered (stdbuf).
    // Unlike the other clients it cannot notice that this process died, so `timeout`
    // (which forwards our SIGINT) bounds its life; it leads its own process group.
    const proc = new Proc('timeout', ['-s', 'INT', '-k', '10', String(LIFETIME_S), 'stdbuf', '-o0', 'transmission-cli', ...args]);
    const peer = new TransmissionPeer(proc, port, configDir, marker);
    defer(t, () => peer.stop());
    return peer;
  }

  /** The last status line (they are separated by carriage returns). */
  statusLine(): string {
    const lines = this.proc.stdout.split(/[\r\n]+/).filter((l) => l.trim() !== '');
    return (lines.at(-1) ?? '').trim();
  }

  get finished(): boolean {
    return existsSync(this.marker);
  }

  /** Resolves once it has verified its data and seeds (its status line says so). */
  async whenSeeding(ms: number): Promise<void> {
    await this.proc.waitFor(/Seeding, uploading/, ms);
  }

  /** Resolves once the completion script has run. */
  async whenFinished(ms: number): Promise<void> {
    await waitUntil(
      () => {
        if (!this.proc.running) throw new Error(`transmission-cli exited early:\n${this.tail()}`);
        return this.finished;
      },
      ms,
      () => `transmission-cli not finished: ${this.tail()}`,
      200,
    );
  }

  /**
   * Resolves once its torrent runs (it binds its port before that, and hangs up on peers
   * while it checks the files). No probe connection: it keys incoming handshakes by IP,
   * so a probe that is still being torn down gets the next real peer refused.
   */
  async whenListening(ms = 15_000): Promise<void> {
    await this.proc.waitFor(/Progress: |Seeding, /, ms);
  }

  tail(): string {
    return `${this.statusLine()}\n${this.proc.stderr.slice(-2000)}`;
  }

  /**
   * Stops it, then reads what it says it moved (payload bytes up and down) from the
   * resume file it writes on the way out. SIGINT, not SIGTERM: transmission-cli 3.00
   * handles only SIGINT; SIGTERM kills it before it saves anything. SIGKILL after 10 s.
   */
  async stop(): Promise<{ uploaded: number; downloaded: number } | undefined> {
    const pid = this.proc.pid;
    if (this.proc.running && pid !== undefined) {
      signal(pid, 'SIGINT');
      const exited = await this.proc.wait(10_000).then(
        () => true,
        () => false,
      );
      // killing only `timeout` would leave transmission-cli behind: kill the group
      if (!exited) signal(-pid, 'SIGKILL');
      await this.proc.wait(5_000);
    }
    return this.totals();
  }

  private totals(): { uploaded: number; downloaded: number } | undefined {
    const dir = join(this.configDir, 'resume');
    if (!existsSync(dir)) return undefined;
    const file = readdirSync(dir).find((f) => f.endsWith('.resume'));
    if (!file) return undefined;
    const d = decode(readFileSync(join(dir, file)));
    if (!isDict(d) || !isInt(d['uploaded']) || !isInt(d['downloaded'])) return undefined;
    return { uploaded: d['uploaded'], downloaded: d['downloaded'] };
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
