#!/usr/bin/env node
import { main } from './main.js';

// No top-level await: the command line is built as CommonJS (see launcher.ts).
void main(process.argv.slice(2)).then((code) => {
  // Some backends keep handles open; the work is done.
  process.exit(code);
});
