import { main } from './main.js';
import { guardOutput } from './output-guard.js';

guardOutput();
const code = await main(process.argv.slice(2));
process.exitCode = code;
