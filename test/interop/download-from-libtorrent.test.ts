import { test } from 'node:test';
import { SHAPES, weDownload } from './clients/scenarios.js';

for (const shape of SHAPES) {
  test(`swarm downloads ${shape.label} from a libtorrent seeder`, (t) => weDownload(t, ['libtorrent'], shape));
}
