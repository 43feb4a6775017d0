/**
 * `pnpm bench:gpu`: packs the GPU run (entry.ts) for the lent GPU machine with the shared
 * `pack.sh` into `.gpu/` (the bundle, Dawn's `webgpu` package, a Node binary, the Vulkan loader's
 * packages and `run.sh`); there, `bash .gpu/run.sh` prints the JSON lines (entry.ts lists them)
 * and writes them to `$OUT/gpu.jsonl` when `$OUT` is set. See docs/guides/gpu-run.md.
 *
 * `pnpm bench:gpu --smoke`: bundles the same run into a temporary folder and runs it here at tiny
 * sizes on SwiftShader (WebGPU on the CPU: Debian chromium's Vulkan driver), printing its lines;
 * well under a minute. Exit code: the run's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../record.ts';
import { buildGpuBundle, CORE_MODULES, GPU_ENTRY, runBundle, swiftShaderEnv } from './bundle.ts';

const PACK = join(REPO_ROOT, '../shared/gpu/pack.sh');

async function smoke(args: string[]): Promise<number> {
  const env = swiftShaderEnv();
  if (!env) {
    process.stderr.write('bench:gpu --smoke: no SwiftShader Vulkan driver (apt-get install chromium gives one)\n');
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tpfr-gpu-'));
  try {
    const bundle = await buildGpuBundle(dir);
    const { code, stdout } = await runBundle(bundle, ['--smoke', ...args], env);
    process.stdout.write(stdout);
    return code ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pack(): number {
  // pack.sh runs esbuild from the repository root: the optional WebGPU packages resolve through NODE_PATH.
  const r = spawnSync('bash', [PACK, GPU_ENTRY, '.gpu'], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_PATH: CORE_MODULES },
  });
  if (r.status === 0) process.stderr.write('bench:gpu: packed into .gpu/; on the GPU machine: bash .gpu/run.sh (docs/guides/gpu-run.md)\n');
  return r.status ?? 1;
}

const args = process.argv.slice(2);
process.exitCode = args.includes('--smoke') ? await smoke(args.filter((a) => a !== '--smoke')) : pack();
