/**
 * The TypeScript examples of the README, the guides and the package READMEs are copies of files
 * that `pnpm typecheck` compiles: each ```ts block follows a marker
 * `<!-- snippet: examples/snippets/x.ts -->` (the whole file) or `<!-- snippet: path#name -->`
 * (the lines between `// #region name` and `// #endregion`), and must equal it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** One ```ts block of a Markdown file, with the snippet it claims to be. */
export interface DocBlock {
  file: string;
  line: number;
  code: string;
  /** `path` or `path#region` of the marker before the block, or null without one. */
  snippet: string | null;
}

/** The Markdown files whose examples must compile. */
export function docFiles(root: string): string[] {
  const guides = readdirSync(join(root, 'docs/guides'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/guides/${f}`);
  const packages = readdirSync(join(root, 'packages')).map((p) => `packages/${p}/README.md`);
  return ['README.md', ...guides.sort(), ...packages.sort()];
}

/** The ```ts / ```typescript blocks of `file` (relative to `root`). */
export function docBlocks(root: string, file: string): DocBlock[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
    const end = lines.indexOf('```', i + 1);
    let j = i - 1;
    while (j >= 0 && lines[j].trim() === '') j--;
    const marker = j >= 0 ? /^<!-- snippet: (\S+) -->$/.exec(lines[j].trim()) : null;
    blocks.push({ file, line: i + 1, code: lines.slice(i + 1, end).join('\n'), snippet: marker ? marker[1] : null });
    i = end;
  }
  return blocks;
}

/** The text a snippet reference names: a whole file, or one of its `// #region` blocks. */
export function snippetText(root: string, ref: string): string {
  const [path, region] = ref.split('#');
  const text = readFileSync(join(root, path), 'utf8').replace(/\n+$/, '');
  if (!region) return text;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${region}`);
  if (start < 0) throw new Error(`${path}: no '// #region ${region}'`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '// #endregion');
  if (end < 0) throw new Error(`${path}: '// #region ${region}' has no '// #endregion'`);
  return lines.slice(start + 1, end).join('\n');
}
