/**
 * `pnpm bench:gpu [--pack PATH]`: packs the GPU run (entry.ts) for the lent GPU machine with the
 * workplace's `shared/gpu/pack.sh` (beside the checkout, or PATH) into `.gpu/` (the bundle, Dawn's `webgpu` package, a Node binary, the Vulkan loader's
 * packages and `run.sh`); there, `bash .gpu/run.sh` prints the JSON lines (entry.ts lists them)
 * and writes them to `$OUT/gpu.jsonl` when `$OUT` is set. See docs/guides/gpu-run.md.
 *
 * `pnpm bench:gpu --smoke`: bundles the same run into a temporary folder and runs it here at tiny
 * sizes on SwiftShader (WebGPU on the CPU: Debian chromium's Vulkan driver), printing its lines;
 * well under a minute. Exit code: the run's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../record.ts';
import { buildGpuBundle, runBundle, swiftShaderEnv } from './bundle.ts';

/** The workplace's packing script: `--pack PATH`, else `shared/gpu/pack.sh` beside the checkout. */
const packScript = (args: string[]) => {
  const i = args.indexOf('--pack');
  return i >= 0 ? args[i + 1] : join(REPO_ROOT, '../shared/gpu/pack.sh');
};

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

async function pack(script: string): Promise<number> {
  if (!existsSync(script)) {
    process.stderr.write(`bench:gpu: no packing script at ${script} (the workplace's shared/gpu/pack.sh; --pack PATH names it)\n`);
    return 2;
  }
  if (statSync(join(REPO_ROOT, '.git')).isFile()) {
    process.stderr.write('bench:gpu: pack.sh writes .git/info/exclude, which a git worktree does not have: pack from a plain checkout\n');
    return 2;
  }
  // The run bundled here first (the @tpfr sources, one copy each), then packed by pack.sh.
  const entry = await buildGpuBundle(join(REPO_ROOT, 'node_modules/.cache/tpfr-gpu'), { forPack: true });
  const r = spawnSync('bash', [script, entry, '.gpu'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (r.status === 0) process.stderr.write('bench:gpu: packed into .gpu/; on the GPU machine: bash .gpu/run.sh (docs/guides/gpu-run.md)\n');
  return r.status ?? 1;
}

const args = process.argv.slice(2);
process.exitCode = args.includes('--smoke') ? await smoke(args.filter((a) => a !== '--smoke')) : await pack(packScript(args));
