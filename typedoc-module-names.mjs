/**
 * Typedoc plugin (typedoc.json `plugin`): each entry point's module is named as it is imported,
 * `@tpfr/core`, `@tpfr/core/torch`, `@tpfr/models/train`, …, from its package's name and the
 * folder of its `index.ts` under `src/`, instead of the path typedoc would show (`core/src`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Converter, ReflectionKind } from 'typedoc';

/** Source folders published under another subpath (tsup's entry names). */
const SUBPATHS = { 'torch-import': 'torch' };

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return;
    const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName;
    const m = file && /^(.*\/packages\/[^/]+)\/src\/(?:(.+)\/)?index\.ts$/.exec(file.replace(/\\/g, '/'));
    if (!m) return;
    const { name } = JSON.parse(readFileSync(join(m[1], 'package.json'), 'utf8'));
    reflection.name = m[2] ? `${name}/${SUBPATHS[m[2]] ?? m[2]}` : name;
  });
}
