import { test } from 'node:test';
import { SHAPES, theyDownload } from './clients/scenarios.js';

for (const shape of SHAPES) {
  test(`libtorrent, Transmission and aria2 download ${shape.label} from swarm at once`, (t) =>
    theyDownload(t, ['transmission', 'libtorrent', 'aria2'], shape));
}
