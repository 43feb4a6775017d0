// The runtime values each published entry point exports, counted from the built ESM dist:
// `pnpm build && node examples/publish/count-exports.mjs [-v]` (-v: the names too). A package
// with no entry point but its package.json (@tpfr/cli: a bin) has no row.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const verbose = process.argv.includes('-v');
let total = 0;
let entries = 0;
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const file = join(root, 'packages', dir, 'package.json');
  if (!existsSync(file)) continue;
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  if (pkg.private) continue;
  for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
    if (sub === './package.json') continue;
    const names = Object.keys(await import(pathToFileURL(join(root, 'packages', dir, target.import.default)).href));
    total += names.length;
    entries++;
    console.log(`${(pkg.name + sub.slice(1)).padEnd(24)} ${String(names.length).padStart(4)}${verbose ? `  ${names.join(', ')}` : ''}`);
  }
}
console.log(`${'total'.padEnd(24)} ${String(total).padStart(4)}  (${entries} entry points)`);
