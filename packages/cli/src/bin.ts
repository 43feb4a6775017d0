#!/usr/bin/env node
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
// Some backends keep handles open; the work is done.
process.exit(process.exitCode);
