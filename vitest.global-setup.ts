import { execFileSync } from 'node:child_process';

/** The gradient bundle is generated at build time; make sure it exists before tests import it. */
export default function setup(): void {
  execFileSync(process.execPath, ['packages/core/scripts/build-gradients.mjs'], { stdio: 'inherit' });
}
