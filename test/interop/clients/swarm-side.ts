import type { TestContext } from 'node:test';
import type { Metainfo } from '../../../src/metainfo/metainfo.js';
import { Session } from '../../../src/torrent/session.js';
import type { Torrent } from '../../../src/torrent/torrent.js';
import { whenDone } from '../../swarm/harness.js';
import { PeerLog } from './peer-log.js';
import { defer, scratchDir } from './cleanup.js';

export interface OurPeer {
  session: Session;
  torrent: Torrent;
  port: number;
  log: PeerLog;
  /** The download folder (for a seeder, the folder holding the data). */
  root: string;
}

/**
 * swarm in this process on 127.0.0.1 with its default limits (the real clients should
 * meet swarm as a person runs it, not the shortened timings of the in-process tests).
 * Closed when the test ends.
 */
export async function startOurs(t: TestContext, metainfo: Metainfo, root?: string): Promise<OurPeer> {
  const dir = root ?? scratchDir(t, 'swarm-interop-out-');
  const session = new Session();
  defer(t, () => session.close());
  const { port } = await session.listen();
  const torrent = session.add({ metainfo, root: dir, trackers: false });
  const log = new PeerLog(torrent);
  await torrent.start();
  return { session, torrent, port, log, root: dir };
}

/** Resolves when every selected piece is verified on disk; rejects on error or after `ms`, saying who was connected. */
export async function ourDone(torrent: Torrent, ms: number, describe: () => string = () => ''): Promise<void> {
  try {
    await whenDone(torrent, ms);
  } catch (err) {
    throw new Error(`swarm: ${err instanceof Error ? err.message : String(err)}\n${describe()}`);
  }
}
