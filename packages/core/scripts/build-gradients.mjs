// Generates src/generated/gradient-configs.js: tfjs-core's own gradient definitions, bundled.
//
// Why: tfjs-core 4.22 registers no gradients from its main entry, and the deep import
// `@tensorflow/tfjs-core/dist/register_all_gradients` is ESM with extension-less relative imports,
// which plain Node cannot load (ERR_MODULE_NOT_FOUND) and CJS cannot require. esbuild resolves
// those imports here, at build time. The bundle exports the gradient configs only; it registers
// nothing itself. Every tfjs-core module a gradient imports whose exports the public API also
// offers (ops, kernel names, util, backend_util, the engine...) is replaced by an import from
// '@tensorflow/tfjs-core' itself, so the user's single peer copy of tfjs-core does the work; only
// the gradient functions and the few internal helper ops they use (pool gradients etc.) are
// bundled, and those dispatch through the same engine.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'src', 'generated');
const outFile = join(outDir, 'gradient-configs.js');
const require = createRequire(join(here, '..', 'package.json'));
const coreDist = `${dirname(require.resolve('@tensorflow/tfjs-core/package.json'))}/dist`;
const version = JSON.parse(readFileSync(join(coreDist, '..', 'package.json'), 'utf8')).version;

if (existsSync(outFile) && readFileSync(outFile, 'utf8').includes(`tfjs-core ${version} `)) process.exit(0);

const src = readFileSync(join(coreDist, 'register_all_gradients.js'), 'utf8');
const found = [...src.matchAll(/import \{ (\w+) \} from '\.\/gradients\/(\w+)'/g)];
if (found.length < 50) throw new Error(`build-gradients: found only ${found.length} gradient imports in tfjs-core ${version}`);
const entry =
  found.map(([, name, file]) => `import { ${name} } from ${JSON.stringify(join(coreDist, 'gradients', `${file}.js`))};`).join('\n') +
  `\nexport const gradConfigs = [${found.map(([, n]) => n).join(', ')}];\n`;

mkdirSync(outDir, { recursive: true });
const publicApi = require('@tensorflow/tfjs-core');
const namespaces = Object.keys(publicApi).filter((k) => publicApi[k] && typeof publicApi[k] === 'object' && !Array.isArray(publicApi[k]));
function exportNames(code) {
  if (/export \* from|export default/.test(code)) return null;
  const names = [...code.matchAll(/export (?:const|let|var|function\*?|async function|class) (\w+)/g)].map((m) => m[1]);
  for (const m of code.matchAll(/export \{([^}]*)\}/g)) {
    for (const part of m[1]
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean))
      names.push(part.split(/\s+as\s+/).pop());
  }
  return names;
}
const nsExport = (ns) =>
  `import { ${ns} as ns } from '@tensorflow/tfjs-core';\nexport const { ${Object.keys(publicApi[ns]).join(', ')} } = ns;`;
// Modules whose exports the public API holds under another shape.
const shims = {
  'base.js': `export * from '@tensorflow/tfjs-core';`,
  'ops/ops.js': `export * from '@tensorflow/tfjs-core';`,
  'util.js': nsExport('util'),
  'backends/backend_util.js': nsExport('backend_util'),
  'ops/segment_util.js': `import { backend_util } from '@tensorflow/tfjs-core';\nexport const { segOpComputeOptimalWindowSize, computeOutShape, collectGatherOpShapeInfo } = backend_util.segment_util;`,
  // Inside a gradient every argument is already a tensor; anything else is converted plainly.
  'tensor_util_env.js': `import { Tensor, tensor } from '@tensorflow/tfjs-core';
export function convertToTensor(x, argName, functionName, parseAsDtype = 'numeric') {
  if (x instanceof Tensor) return x;
  return tensor(x, undefined, parseAsDtype === 'numeric' || parseAsDtype === 'string_or_numeric' ? undefined : parseAsDtype);
}
export function convertToTensorArray(arg, argName, functionName, parseAsDtype = 'numeric') {
  return arg.map((t, i) => convertToTensor(t, argName + '[' + i + ']', functionName, parseAsDtype));
}`,
};
let mapped = 0;
let kept = 0;
const toPublic = {
  name: 'tfjs-core-public-api',
  setup(b) {
    b.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, (a) => ({ path: a.path, external: true }));
    b.onLoad({ filter: /\.js$/ }, (a) => {
      if (!a.path.startsWith(coreDist) || a.path.includes('/gradients/')) return undefined;
      const rel = a.path.slice(coreDist.length + 1);
      const shim = shims[rel];
      if (shim) {
        mapped++;
        return { contents: shim, loader: 'js' };
      }
      const code = readFileSync(a.path, 'utf8');
      const names = exportNames(code);
      if (names && names.length > 0) {
        if (names.every((n) => n in publicApi)) {
          mapped++;
          return { contents: `export { ${names.join(', ')} } from '@tensorflow/tfjs-core';`, loader: 'js' };
        }
        const ns = namespaces.find((k) => names.every((n) => n in publicApi[k]));
        if (ns) {
          mapped++;
          return {
            contents: `import { ${ns} as ns } from '@tensorflow/tfjs-core';\nexport const { ${names.join(', ')} } = ns;`,
            loader: 'js',
          };
        }
        if (a.path.endsWith('/engine.js')) {
          mapped++;
          return { contents: `import { engine } from '@tensorflow/tfjs-core';\nexport const ENGINE = engine();`, loader: 'js' };
        }
      }
      kept++;
      if (process.env.DEBUG_GRADS) console.log('kept', a.path.split('/dist/')[1], names?.filter((n) => !(n in publicApi)).join(','));
      return undefined;
    });
  },
};
const result = await build({
  plugins: [toPublic],
  stdin: { contents: entry, resolveDir: coreDist, sourcefile: 'gradient-configs-entry.js' },
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  treeShaking: true,
  minifySyntax: true,
  legalComments: 'none',
  write: false,
  logLevel: 'error',
});
const banner = `// Generated by scripts/build-gradients.mjs from tfjs-core ${version} (Apache-2.0, Copyright Google LLC). Do not edit.\n`;
writeFileSync(outFile, banner + result.outputFiles[0].text);
writeFileSync(
  join(outDir, 'gradient-configs.d.ts'),
  `import type { GradConfig } from '@tensorflow/tfjs-core';\n/** tfjs-core ${version}'s gradient definitions (${found.length}). */\nexport declare const gradConfigs: GradConfig[];\n`,
);
console.log(
  `build-gradients: ${found.length} gradient configs from tfjs-core ${version}; ${mapped} modules mapped to its public API, ${kept} bundled -> ${outFile}`,
);
