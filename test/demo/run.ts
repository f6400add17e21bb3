/**
 * `npm run demo`: the whole system on this machine alone. A tracker, a seeder and a
 * downloader on 127.0.0.1, each a real `swarm` process; the downloader's progress line on
 * this terminal; the downloaded bytes compared with the original. Every process is
 * stopped by its PID and the temporary folder removed, whatever happens. Bounded in time.
 *
 * SWARM_DEMO_MIB sets the payload size (default 64).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { swarmEntry } from '../helpers/paths.js';
import { Proc, runSwarm } from '../helpers/proc.js';

const DEADLINE_MS = 180_000;

function say(s: string): void {
  process.stdout.write(process.stdout.isTTY ? `\x1b[1mdemo:\x1b[0m ${s}\n` : `demo: ${s}\n`);
}

async function sha1(path: string): Promise<string> {
  const h = createHash('sha1');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function swarm(args: string[], inherit = false): Proc {
  return new Proc(process.execPath, [swarmEntry(), ...args], inherit ? { stdio: ['ignore', 'inherit', 'inherit'] } : {});
}

/** Runs to completion; returns the exit code (the child's output shows on this terminal). */
async function runVisible(args: string[], timeoutMs: number): Promise<number | null> {
  const p = swarm(args, true);
  try {
    return (await p.wait(timeoutMs)).code;
  } finally {
    if (p.running) await p.stop('SIGKILL');
  }
}

async function trackerAvailable(): Promise<boolean> {
  const r = await runSwarm(['tracker', '--help'], { timeoutMs: 20_000 });
  return r.code === 0;
}

async function demo(dir: string, procs: Proc[]): Promise<void> {
  const mib = Number(process.env.SWARM_DEMO_MIB ?? 64);
  if (!(mib > 0 && mib <= 4096)) throw new Error(`SWARM_DEMO_MIB=${process.env.SWARM_DEMO_MIB} is not a size from 1 to 4096`);
  const data = join(dir, 'seeder');
  const out = join(dir, 'downloader');
  const file = join(data, 'demo.bin');
  const torrent = join(dir, 'demo.torrent');

  let announce: string[] = [];
  let peer: string[] = [];
  if (await trackerAvailable()) {
    const tracker = swarm(['tracker', '--port', '0', '--interval', '60']);
    procs.push(tracker);
    const m = await tracker.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    const url = `http://127.0.0.1:${m[1]}/announce`;
    announce = ['--announce', url];
    say(`tracker   pid ${tracker.pid}, ${url}`);
  } else {
    say('`swarm tracker` is not available in this build: the downloader is given the seeder with --peer');
  }

  say(`writing ${mib} MiB of random bytes to ${file}`);
  mkdirSync(data, { recursive: true });
  for (let i = 0; i < mib; i++) writeFileSync(file, randomBytes(1024 * 1024), { flag: i === 0 ? 'w' : 'a' });

  say(`swarm create ${announce.join(' ')}`);
  const created = await runVisible(['create', file, '-o', torrent, ...announce], 120_000);
  if (created !== 0) throw new Error(`swarm create exited with ${created}`);

  const seeder = swarm(['seed', torrent, data, '--port', '0']);
  procs.push(seeder);
  const sm = await seeder.waitFor(/listening on 127\.0\.0\.1:(\d+)/, 60_000);
  await seeder.waitFor(/serving until Ctrl-C/, 120_000);
  say(`seeder    pid ${seeder.pid}, 127.0.0.1:${sm[1]}, data verified`);
  if (announce.length === 0) peer = ['--peer', `127.0.0.1:${sm[1]}`];

  say(`swarm download ${peer.join(' ') || '(peers from the tracker)'}`);
  const t0 = Date.now();
  const code = await runVisible(['download', torrent, '-o', out, ...peer], 120_000);
  const secs = (Date.now() - t0) / 1000;
  if (code !== 0) throw new Error(`swarm download exited with ${code}`);

  const [a, b] = await Promise.all([sha1(file), sha1(join(out, 'demo.bin'))]);
  if (a !== b) throw new Error(`the downloaded file differs from the original (sha1 ${b} != ${a})`);
  const size = statSync(file).size;
  say(
    `done: ${mib} MiB from seeder to downloader in ${secs.toFixed(1)} s (${(size / 1024 / 1024 / secs).toFixed(1)} MiB/s), ` +
      `sha1 ${a} on both sides${announce.length > 0 ? ', peers found through the tracker' : ''}`,
  );
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-demo-'));
  const procs: Proc[] = [];
  const deadline = setTimeout(() => {
    process.stderr.write(`demo: still running after ${DEADLINE_MS / 1000} s: stopping everything\n`);
    for (const p of procs) if (p.pid !== undefined && p.running) process.kill(p.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }, DEADLINE_MS);
  let ok = false;
  try {
    await demo(dir, procs);
    ok = true;
  } catch (err) {
    process.stderr.write(`demo: failed: ${err instanceof Error ? err.message : String(err)}\n`);
    for (const p of procs) if (p.stderr.trim()) process.stderr.write(`--- pid ${p.pid} said:\n${p.stderr.slice(-2000)}\n`);
  } finally {
    // seeder first (it announces stopped to the tracker), then the tracker: each by PID
    for (const p of procs.reverse()) {
      const r = await p.stop('SIGINT');
      if (ok) say(`stopped pid ${p.pid} (exit ${r.code ?? r.signal})`);
    }
    rmSync(dir, { recursive: true, force: true });
    clearTimeout(deadline);
  }
  return ok ? 0 : 1;
}

// Run directly (npm run demo); not when the test runner loads every .js under test/.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && !process.env.NODE_TEST_CONTEXT) {
  process.exitCode = await main();
}
