import { test } from 'node:test';
import { SHAPES, weDownload } from './clients/scenarios.js';

for (const shape of SHAPES) {
  test(`swarm downloads ${shape.label} from a Transmission seeder`, (t) => weDownload(t, ['transmission'], shape));
}
