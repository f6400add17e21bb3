import { test } from 'node:test';
import { SHAPES, theyDownload } from './clients/scenarios.js';

for (const shape of SHAPES) {
  test(`An aria2 leecher downloads ${shape.label} from swarm`, (t) => theyDownload(t, ['aria2'], shape));
}
