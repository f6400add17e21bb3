import { test } from 'node:test';
import { SHAPES, weDownload } from './clients/scenarios.js';

for (const shape of SHAPES) {
  test(`swarm downloads ${shape.label} from an aria2 seeder`, (t) => weDownload(t, ['aria2'], shape));
}
