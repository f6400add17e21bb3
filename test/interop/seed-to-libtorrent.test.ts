import { test } from 'node:test';
import { SHAPES, theyDownload } from './clients/scenarios.js';

for (const shape of SHAPES) {
  test(`A libtorrent leecher downloads ${shape.label} from swarm`, (t) => theyDownload(t, ['libtorrent'], shape));
}
