import { test } from 'node:test';
import { SHAPES, weDownload } from './clients/scenarios.js';

/*
 * Transmission unchokes only on its 10-second tick, and libtorrent or aria2 alone deliver
 * the payload in about a second. Held to 64 KiB/s each, they need about 25 s for it, so
 * Transmission joins in before the end and all three share the work.
 */
const SLOW = 64 * 1024;

for (const shape of SHAPES) {
  test(`swarm downloads ${shape.label} from libtorrent, Transmission and aria2 seeding at once`, (t) =>
    weDownload(t, ['transmission', 'libtorrent', 'aria2'], shape, {
      seeder: { libtorrent: { uploadLimit: SLOW }, aria2: { uploadLimit: SLOW } },
      ms: 90_000,
    }));
}
