import type { TestContext } from 'node:test';
import { haveLibtorrent, needClient } from '../../helpers/interop.js';
import { Aria2Peer, haveAria2 } from './aria2.js';
import type { CompareOptions, Payload } from './common.js';
import { LibtorrentPeer } from './libtorrent.js';
import type { OurPeer } from './swarm-side.js';
import { haveTransmission, TransmissionPeer } from './transmission.js';
import { scratchDir } from './cleanup.js';

/** The real clients, named as PeerLog names them by peer id. */
export type RealKind = 'libtorrent' | 'transmission' | 'aria2';

const CLIENTS: Record<RealKind, { available: () => boolean; what: string }> = {
  libtorrent: { available: haveLibtorrent, what: 'libtorrent (python3-libtorrent)' },
  transmission: { available: haveTransmission, what: 'Transmission (transmission-cli)' },
  aria2: { available: haveAria2, what: 'aria2 (aria2c)' },
};

/** needClient for each: false (the test is skipped) when one is missing. */
export function needClients(t: TestContext, kinds: RealKind[]): boolean {
  return kinds.every((k) => needClient(t, CLIENTS[k].available(), CLIENTS[k].what));
}

/** A real client seeding the payload, its data checked. */
export interface RealSeeder {
  kind: RealKind;
  port: number;
  tail(): string;
  /** Stops it and returns the payload bytes it says it uploaded. */
  finish(): Promise<number | undefined>;
}

export interface SeederOptions {
  /** Bytes per second (not for Transmission). */
  uploadLimit?: number;
}

/** Starts a real client on the payload's own folder; resolves once it seeds. */
export async function startRealSeeder(t: TestContext, kind: RealKind, p: Payload, opts: SeederOptions = {}): Promise<RealSeeder> {
  switch (kind) {
    case 'libtorrent': {
      const lt = new LibtorrentPeer(t, { torrentFile: p.torrentFile, dir: p.root, seed: true, uploadLimit: opts.uploadLimit });
      const port = await lt.listening();
      await lt.whenSeeding(30_000);
      return {
        kind,
        port,
        tail: () => lt.tail(),
        finish: async () => {
          await lt.stop();
          return lt.status()?.uploaded;
        },
      };
    }
    case 'aria2': {
      const aria = await Aria2Peer.start(t, { torrentFile: p.torrentFile, dir: p.root, seed: true, uploadLimit: opts.uploadLimit });
      await aria.whenSeeding(30_000);
      return {
        kind,
        port: aria.port,
        tail: () => aria.tail(),
        finish: async () => {
          const st = await aria.status();
          await aria.stop();
          return st ? Number(st.uploadLength) : undefined;
        },
      };
    }
    case 'transmission': {
      if (opts.uploadLimit) throw new Error('no upload limit for Transmission here');
      const tr = await TransmissionPeer.start(t, { torrentFile: p.torrentFile, dir: p.root });
      await tr.whenSeeding(30_000);
      return { kind, port: tr.port, tail: () => tr.tail(), finish: async () => (await tr.stop())?.uploaded };
    }
  }
}

/** A real client downloading the payload from our seeder into `dir`. */
export interface RealLeecher {
  kind: RealKind;
  dir: string;
  /** How its files compare with the original (Transmission leaves out 0-byte files). */
  compare: CompareOptions;
  /** Resolves when its download is complete and it has stopped (its files are closed). */
  done(ms: number): Promise<void>;
  tail(): string;
}

/**
 * Starts a real client downloading from `us` and brings the two together: libtorrent
 * dials us; aria2 and Transmission have no way to be told of a peer, so we dial them.
 */
export async function startRealLeecher(t: TestContext, kind: RealKind, p: Payload, us: OurPeer): Promise<RealLeecher> {
  const dir = scratchDir(t, `swarm-interop-${kind}-out-`);
  switch (kind) {
    case 'libtorrent': {
      const lt = new LibtorrentPeer(t, { torrentFile: p.torrentFile, dir, seed: false, peers: [us.port] });
      return {
        kind,
        dir,
        compare: {},
        tail: () => lt.tail(),
        done: async (ms) => {
          await lt.whenSeeding(ms);
          const { code } = await lt.proc.wait(15_000);
          if (code !== 0) throw new Error(`libtorrent exited with ${code}:\n${lt.tail()}`);
          if (lt.status()?.failed !== 0) throw new Error(`libtorrent saw failed pieces:\n${lt.tail()}`);
        },
      };
    }
    case 'aria2': {
      const aria = await Aria2Peer.start(t, { torrentFile: p.torrentFile, dir, seed: false });
      await aria.whenListening();
      us.torrent.addPeers([{ host: '127.0.0.1', port: aria.port }], 'manual');
      return {
        kind,
        dir,
        compare: {},
        tail: () => aria.tail(),
        done: async (ms) => {
          const code = await aria.whenExited(ms);
          if (code !== 0) throw new Error(`aria2 exited with ${code}:\n${aria.tail()}`);
        },
      };
    }
    case 'transmission': {
      const tr = await TransmissionPeer.start(t, { torrentFile: p.torrentFile, dir });
      await tr.whenListening();
      // it never dials a loopback peer
      us.torrent.addPeers([{ host: '127.0.0.1', port: tr.port }], 'manual');
      return {
        kind,
        dir,
        compare: { emptyFilesMayBeMissing: true },
        tail: () => tr.tail(),
        done: async (ms) => {
          await tr.whenFinished(ms);
          const totals = await tr.stop();
          if (totals?.downloaded !== undefined && totals.downloaded < p.metainfo.layout.totalLength) {
            throw new Error(`Transmission says it downloaded only ${totals.downloaded} bytes`);
          }
        },
      };
    }
  }
}
