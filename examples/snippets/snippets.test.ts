import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { docBlocks, docFiles, snippetText } from './snippets.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

for (const file of docFiles(root)) {
  it(`every TypeScript example of ${file} is a compiled snippet, word for word`, () => {
    for (const b of docBlocks(root, file)) {
      expect(b.snippet, `${file}:${b.line}: a \`\`\`ts block without a <!-- snippet: … --> marker`).not.toBeNull();
      expect(b.code, `${file}:${b.line} differs from ${b.snippet}`).toBe(snippetText(root, b.snippet!));
    }
  });
}
