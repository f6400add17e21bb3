import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Option, type Command } from 'commander';
import { parseAllowList, startTracker, type RunningTracker } from '../tracker/server/index.js';
import { UsageError, errorMessage } from '../util/errors.js';
import { parsePort } from './args.js';
import { exitCodeForSignal, trapSignals } from './signals.js';

interface Flags {
  port: number;
  host: string;
  interval: number;
  allow?: string;
  json?: boolean;
}

function parseHost(v: string): string {
  const s = v.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(s) === 0) throw new UsageError('BAD_HOST', `--host ${JSON.stringify(v)} is not an IP address (for example 127.0.0.1, ::1, or 0.0.0.0 for every interface)`);
  return s;
}

function parseInterval(v: string): number {
  const n = /^\s*\d{1,6}\s*$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 86_400)) throw new UsageError('BAD_INTERVAL', `--interval ${JSON.stringify(v)} is not a number of seconds from 1 to 86400`);
  return n;
}

function readAllow(file: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : errorMessage(err);
    throw new UsageError('BAD_ALLOW_LIST', `cannot read the allow list ${file}: ${why}`, { cause: err });
  }
  return parseAllowList(text, file);
}

export function registerTracker(program: Command): void {
  program
    .command('tracker')
    .description('run a BitTorrent tracker (HTTP and UDP on one port) until Ctrl-C')
    .addOption(new Option('--port <n>', 'port for both HTTP (TCP) and UDP; 0 picks a free one').default(6969).argParser((v) => parsePort('--port', v)))
    .addOption(new Option('--host <ip>', 'address to listen on (0.0.0.0 or :: for every interface)').default('127.0.0.1').argParser(parseHost))
    .addOption(new Option('--interval <seconds>', 'how often clients should announce').default(1800).argParser(parseInterval))
    .option('--allow <file>', 'track only the info hashes in this file (40 hex digits per line); SIGHUP reloads it')
    .option('--json', 'one JSON object per line on stdout for every event (announce, scrape, bad request)')
    .action(async (flags: Flags) => runTracker(flags));
}

async function runTracker(flags: Flags): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const json = (e: object) => out(JSON.stringify(e));
  const allow = flags.allow === undefined ? undefined : readAllow(flags.allow);
  const trap = trapSignals();
  let tracker: RunningTracker;
  try {
    tracker = await startTracker({
      port: flags.port,
      host: flags.host,
      interval: flags.interval,
      ...(allow ? { allow } : {}),
      ...(flags.json ? { log: json } : {}),
    });
  } catch (err) {
    trap.dispose();
    throw err;
  }
  const host = flags.host.includes(':') ? `[${flags.host}]` : flags.host;
  const where = `${host}:${tracker.port}`;
  if (!flags.json) {
    out(`swarm tracker listening on ${where} (HTTP and UDP)`);
    out(`  announce: http://${where}/announce  udp://${where}/announce`);
    out(`  stats:    http://${where}/stats`);
    out(`  interval ${flags.interval} s${allow ? `, ${allow.size} torrents allowed` : ''}; Ctrl-C to stop`);
  }
  // a short summary now and then, only when something happened
  let lastAnnounces = 0;
  const ticker = setInterval(() => {
    const s = tracker.stats();
    if (flags.json || s.announces === lastAnnounces) return;
    lastAnnounces = s.announces;
    out(`${new Date().toISOString()} ${s.torrents} torrents, ${s.seeders} seeders, ${s.leechers} leechers, ${s.announcesPerSecond} announces/s`);
  }, 60_000);
  ticker.unref();
  const onHup = () => {
    if (flags.allow === undefined) return;
    try {
      const next = readAllow(flags.allow);
      tracker.setAllow(next);
      if (flags.json) json({ time: new Date().toISOString(), event: 'allow-reloaded', count: next.size });
      else out(`allow list reloaded: ${next.size} torrents`);
    } catch (err) {
      process.stderr.write(`swarm: ${errorMessage(err)}; keeping the old allow list\n`);
    }
  };
  process.on('SIGHUP', onHup);
  const sig = await trap.caught;
  clearInterval(ticker);
  process.removeListener('SIGHUP', onHup);
  const s = tracker.stats();
  await tracker.close();
  trap.dispose();
  if (flags.json) json({ time: new Date().toISOString(), event: 'stopped', signal: sig, announces: s.announces });
  else out(`swarm tracker stopped after ${s.announces} announces`);
  process.exitCode = exitCodeForSignal(sig);
}
