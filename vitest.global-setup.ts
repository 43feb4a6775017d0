import { execFileSync } from 'node:child_process';

/** The gradient bundle and the SIMD kernels module are generated at build time; make sure they exist before tests import them. */
export default function setup(): void {
  execFileSync(process.execPath, ['packages/core/scripts/build-gradients.mjs'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['packages/core/scripts/build-simd-kernels.mjs'], { stdio: 'inherit' });
}
