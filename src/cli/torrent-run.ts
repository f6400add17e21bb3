import { Option } from 'commander';
import { ENCRYPTION_MODES, Session, type EncryptionMode } from '../torrent/session.js';
import type { Torrent } from '../torrent/torrent.js';
import type { TorrentLimits } from '../torrent/defaults.js';
import { errorMessage, isSwarmError, UsageError } from '../util/errors.js';
import { logger } from '../util/log.js';
import { exitCodeForSignal, exitSoon, type SignalTrap, type StopSignal, trapSignals } from './signals.js';
import type { TorrentLive } from './torrent-progress.js';

const log = logger('cli:run');

/** How the note that a stop began names its cause. */
const STOP_CAUSE: Record<StopSignal, string> = { SIGINT: 'Ctrl-C', SIGTERM: 'SIGTERM', SIGHUP: 'SIGHUP (terminal closed)', SIGPIPE: 'output closed' };

/** How a long-running command ends. */
export type Outcome =
  | { kind: 'done' }
  | { kind: 'error'; err: Error }
  | { kind: 'signal'; sig: StopSignal }
  | { kind: 'seed-ratio' }
  | { kind: 'seed-time' };

/** Timings the CLI uses: the stopped announce may not hold up Ctrl-C for long. */
export const CLI_LIMITS: Partial<TorrentLimits> = { stopAnnounceTimeoutMs: 2_000 };

export interface OpenedSession {
  session: Session;
  host: string;
  port: number;
  /** The requested port was taken and a free one is used instead. */
  fellBack: boolean;
}

/**
 * A session listening for peers. `fallback`: when the port is taken, listen on any free
 * port instead (for a default port; a port the user asked for is an error).
 */
export async function openSession(o: { host: string; port: number; fallback: boolean; explicit: boolean; encryption: EncryptionMode }): Promise<OpenedSession> {
  const limits = CLI_LIMITS;
  let session = new Session({ host: o.host, port: o.port, limits, encryption: o.encryption });
  try {
    const a = await session.listen();
    return { session, host: a.host, port: a.port, fellBack: false };
  } catch (err) {
    await session.close();
    const inUse = (err as { cause?: { code?: string } }).cause?.code === 'EADDRINUSE';
    if (!(o.fallback && inUse)) {
      if (o.explicit) throw new UsageError('LISTEN_FAILED', errorMessage(err), { cause: err });
      throw err;
    }
  }
  session = new Session({ host: o.host, port: 0, limits, encryption: o.encryption });
  const a = await session.listen();
  return { session, host: a.host, port: a.port, fellBack: true };
}

/** --encryption, the same for download and seed. */
export const ENCRYPTION_OPTION = (): Option =>
  new Option(
    '--encryption <mode>',
    'Message Stream Encryption: allow (dial plain, answer MSE or plain), require (MSE with RC4 only, both ways), off (plain only)',
  )
    .choices(ENCRYPTION_MODES)
    .default('allow');

/** session.add, closing the session if the torrent cannot be set up (a bad path in it, say). */
export async function addTorrent(session: Session, opts: Parameters<Session['add']>[0]): Promise<Torrent> {
  try {
    return session.add(opts);
  } catch (err) {
    await session.close().catch(() => undefined);
    throw err;
  }
}

/**
 * One torrent driven to an outcome: 'done', or a fatal 'error', or a signal. Wires the
 * torrent's events to the live line, and stops everything in one place.
 */
export class TorrentRun {
  readonly trap: SignalTrap;
  /** Settles when every selected piece is verified and on disk. */
  readonly done: Promise<Outcome>;
  /** Settles with the first fatal error or signal. */
  readonly stopped: Promise<Outcome>;
  readonly startedAt = Date.now();

  constructor(
    readonly session: Session,
    readonly torrent: Torrent,
    readonly live: TorrentLive,
  ) {
    // a download or seed in a terminal that closes must not die without saving progress
    this.trap = trapSignals(
      (sig) => live.note(`swarm: ${STOP_CAUSE[sig]}: stopping (saving progress, telling the trackers); Ctrl-C again quits at once`),
      { hangup: true },
    );
    // listeners first: an 'error' with none would throw, and 'done' can fire inside start()
    this.done = new Promise<Outcome>((resolve) => torrent.once('done', () => resolve({ kind: 'done' })));
    this.stopped = new Promise<Outcome>((resolve) => {
      torrent.on('error', (err: Error) => resolve({ kind: 'error', err }));
      void this.trap.caught.then((sig) => resolve({ kind: 'signal', sig }));
    });
    torrent.on('peers', () => live.peersChanged());
    torrent.on('piece-failed', (index: number) => {
      live.event('piece-failed', { index });
      live.note(`swarm: piece ${index} failed its hash check; it will be fetched again`);
    });
  }

  /** Checks the data; resolves the outcome if the run stopped while checking, else undefined. */
  async start(checkTotal: number): Promise<Outcome | undefined> {
    const started = this.torrent.start((bytes) => this.live.checking(bytes, checkTotal)).then(
      () => undefined,
      (err: unknown): Outcome => ({ kind: 'error', err: err instanceof Error ? err : new Error(String(err)) }),
    );
    const first = await Promise.race([started, this.stopped]);
    this.live.checked();
    // a signal aborts the check, which then fails: report the signal, not the abort
    if (this.trap.received) return { kind: 'signal', sig: this.trap.received };
    return first;
  }

  /** The first of: done (if `withDone`), a fatal error or signal, or `extra`. */
  until(o: { withDone: boolean; extra?: Promise<Outcome> }): Promise<Outcome> {
    const all = [this.stopped];
    if (o.withDone) all.push(this.done);
    if (o.extra) all.push(o.extra);
    return Promise.race(all);
  }

  /**
   * Ends the run: the live line, the session (resume saved, `stopped` announced), the
   * signal handlers. Returns the exit code for the outcome; errors are the caller's to throw.
   */
  async close(outcome: Outcome): Promise<number> {
    this.live.end();
    if (outcome.kind === 'error') this.live.event('error', { message: outcome.err.message, code: (outcome.err as { code?: string }).code ?? null });
    await this.session.close().catch((err: unknown) => log('closing the session: %s', errorMessage(err)));
    this.trap.dispose();
    const code =
      outcome.kind === 'signal' ? exitCodeForSignal(outcome.sig) : outcome.kind !== 'error' ? 0 : isSwarmError(outcome.err) && outcome.err.input ? 2 : 1;
    this.live.event('stopped', { reason: outcome.kind === 'signal' ? outcome.sig : outcome.kind, exitCode: code });
    // everything is closed; should a handle still hold the event loop, do not hang on it
    exitSoon(code);
    return code;
  }
}
