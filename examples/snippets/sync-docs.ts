/**
 * `pnpm docs:snippets`: rewrites every Markdown example that follows a snippet marker with its
 * snippet's current text (after the snippets are edited or formatted). The snippets test checks
 * that they agree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { docBlocks, docFiles, snippetText } from './snippets.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
let changed = 0;
for (const file of docFiles(root)) {
  const blocks = docBlocks(root, file).filter((b) => b.snippet && b.code !== snippetText(root, b.snippet));
  if (blocks.length === 0) continue;
  const lines = readFileSync(`${root}${file}`, 'utf8').split('\n');
  // From the last block up, so that earlier line numbers stay valid.
  for (const b of blocks.reverse()) {
    const end = lines.indexOf('```', b.line);
    lines.splice(b.line, end - b.line, ...snippetText(root, b.snippet!).split('\n'));
    changed++;
  }
  writeFileSync(`${root}${file}`, lines.join('\n'));
}
console.log(`${changed} example(s) rewritten from their snippets`);
