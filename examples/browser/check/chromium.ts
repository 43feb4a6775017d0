/** Debian's Chromium, headless, with SwiftShader's CPU WebGPU and WebGL 2, driven by puppeteer-core. */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

/** The backends the page must run on, each exactly (no silent fallback). */
export const PAGE_BACKENDS = ['webgpu', 'webgl', 'wasm'] as const;
export type PageBackendName = (typeof PAGE_BACKENDS)[number];

/** Chromium's flags for SwiftShader's WebGPU and WebGL 2 on the CPU. */
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--no-sandbox',
  '--disable-dev-shm-usage',
];

/** The flags of a fake camera that plays `clip` (a `.y4m` or `.mjpeg` file, looped), granted without a prompt. */
export function fakeCameraFlags(clip: string): string[] {
  return ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${clip}`];
}

/** The system's Chromium: `$TPFR_CHROMIUM`, else Debian's. Undefined when there is none. */
export function findChromium(): string | undefined {
  const candidates = [process.env.TPFR_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

/** Launches the system Chromium with SwiftShader (and `extraArgs`, e.g. {@link fakeCameraFlags}). */
export async function launchChromium(executablePath: string, extraArgs: string[] = []): Promise<Browser> {
  return puppeteer.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS.filter((f) => !f.startsWith('--headless')), ...extraArgs],
    protocolTimeout: 600_000,
  });
}
