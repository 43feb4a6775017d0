/**
 * The GPU run as one file: `entry.ts` bundled by esbuild with the flags of the shared `pack.sh`
 * (ES module for Node 20, `webgpu` left out: it ships Dawn's native `dawn.node`, found at run
 * time in a `node_modules/webgpu` beside the bundle). The run imports the @tpfr packages by name,
 * bundled from their TypeScript sources as in the tests (the tsconfig's paths), one copy of
 * each; `pack.sh` then takes this bundle as its entry. `@tensorflow/tfjs-backend-webgpu`
 * and `webgpu` are optional dependencies of @tpfr/core, so they resolve from its folder.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { REPO_ROOT } from '../record.ts';

/** The entry of the GPU run. */
export const GPU_ENTRY = join(REPO_ROOT, 'examples/bench/gpu/entry.ts');
/** Where @tpfr/core's optional WebGPU packages are installed (the bundle's extra module path). */
export const CORE_MODULES = join(REPO_ROOT, 'packages/core/node_modules');
/** Where the run's bare imports resolve besides the usual places: the @tpfr packages' dependencies, the WebGPU backend. */
export const GPU_MODULE_PATHS = [join(REPO_ROOT, 'packages/testing/node_modules'), CORE_MODULES];

/** The @tpfr imports as their sources: the tsconfig's `paths` (exact names, as the tests' aliases). */
function tpfrSources(): Plugin {
  const config = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  const sources = new Map(
    Object.entries(config.compilerOptions.paths)
      .filter(([name]) => name.startsWith('@tpfr/'))
      .map(([name, [file]]) => [name, resolve(REPO_ROOT, file)]),
  );
  return {
    name: 'tpfr-sources',
    setup(b) {
      b.onResolve({ filter: /^@tpfr\// }, (a) => (sources.has(a.path) ? { path: sources.get(a.path) } : undefined));
    },
  };
}

/** Debian chromium's SwiftShader Vulkan driver: WebGPU on the CPU, for the smoke run. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The `webgpu` package's folder, or null when it is not installed. */
export function webgpuPackageDir(): string | null {
  const dir = join(CORE_MODULES, 'webgpu');
  return existsSync(join(dir, 'package.json')) ? realpathSync(dir) : null;
}

/**
 * Bundles the GPU run into `outDir/bundle.mjs` and links `outDir/node_modules/webgpu` to the
 * installed package (so the bundle runs on this machine too). `forPack`: without the `require`
 * banner, which `pack.sh` adds when it bundles this file again.
 * @returns the bundle's path.
 */
export async function buildGpuBundle(outDir: string, opts: { forPack?: boolean } = {}): Promise<string> {
  const webgpu = webgpuPackageDir();
  if (!webgpu) throw new Error(`bench:gpu: the optional 'webgpu' package is not installed in ${CORE_MODULES}`);
  const outfile = join(outDir, 'bundle.mjs');
  mkdirSync(join(outDir, 'node_modules'), { recursive: true });
  const link = join(outDir, 'node_modules/webgpu');
  if (!existsSync(link)) symlinkSync(webgpu, link, 'dir');
  await build({
    entryPoints: [GPU_ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['webgpu'],
    nodePaths: GPU_MODULE_PATHS,
    plugins: [tpfrSources()],
    outfile,
    logLevel: 'error',
    banner: opts.forPack ? {} : { js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);" },
  });
  return outfile;
}

/**
 * The environment that gives Dawn SwiftShader's adapter (CPU Vulkan; `VK_ICD_FILENAMES` kept when
 * it is set already), or null without it.
 */
export function swiftShaderEnv(): NodeJS.ProcessEnv | null {
  const icd = process.env.VK_ICD_FILENAMES ?? SWIFTSHADER_ICD;
  if (!existsSync(icd)) return null;
  const runtime = join(REPO_ROOT, 'node_modules/.cache/tpfr-gpu-xdg');
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  return { ...process.env, VK_ICD_FILENAMES: icd, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? runtime };
}

/** Runs a bundle with Node; its stdout (the JSON lines) and exit code. stderr goes through. */
export function runBundle(bundle: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], { cwd: dirname(bundle), env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

/** The JSON lines of a run's stdout. */
export function gpuLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{"bench":"gpu"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
