import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { hungTestLimit, hungTestWatchdog } from './hung-test-watchdog.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const moduleFile = fileURLToPath(new URL('./hung-test-watchdog.ts', import.meta.url));

/** The environment of a child process, without what vitest tells its own workers. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|TINYPOOL|TPFR_HUNG_TEST_MS)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** Runs `code` (TypeScript, beside this file so that its imports resolve) in a child node; removes the file. */
function runScript(code: string, arg: string): ReturnType<typeof spawnSync> & { ms: number } {
  const file = fileURLToPath(new URL(`./.watchdog-${process.pid}-${arg}.mts`, import.meta.url));
  const t0 = Date.now();
  try {
    writeFileSync(file, code);
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 20_000, env: childEnv() });
    return { ...r, ms: Date.now() - t0 };
  } finally {
    rmSync(file, { force: true });
  }
}

describe('hung-test watchdog', () => {
  const saved = process.env.TPFR_HUNG_TEST_MS;
  afterEach(() => {
    if (saved === undefined) delete process.env.TPFR_HUNG_TEST_MS;
    else process.env.TPFR_HUNG_TEST_MS = saved;
  });

  it('kills a process whose test spins past its limit, naming the test and where it spins', () => {
    const r = runScript(
      `import { hungTestWatchdog } from ${JSON.stringify(moduleFile)};
const dog = hungTestWatchdog({ pollMs: 50 });
dog.start('demo.test.ts > suite > spins', 300);
function spinForever(): number { let i = 0; while (i >= 0) i = (i + 1) % 1e9; return i; }
spinForever();
console.log('never');`,
      'spin',
    );
    expect(r.signal, String(r.stderr)).toBe('SIGKILL');
    expect(r.stdout).not.toContain('never');
    expect(r.stderr).toMatch(/hung test: demo\.test\.ts > suite > spins \(0\.\d s, limit 0\.3 s\): killing its process/);
    expect(r.stderr).toMatch(/where it runs[^\n]*\n\s+at spinForever \([^)]*\.watchdog-\d+-spin\.mts:\d+:\d+\)/);
    expect(r.ms).toBeLessThan(15_000);
  }, 30_000);

  it('leaves a test that ends in time alone, and never keeps its process alive', () => {
    const r = runScript(
      `import { hungTestWatchdog } from ${JSON.stringify(moduleFile)};
const dog = hungTestWatchdog({ pollMs: 50 });
const again = hungTestWatchdog();
dog.start('demo.test.ts > quick', 400);
const t0 = Date.now();
while (Date.now() - t0 < 200);
const seen = again.current();
dog.stop();
// Armed again past its limit, but the process ends first: the thread does not hold it.
dog.start('demo.test.ts > last', 60_000);
console.log(JSON.stringify({ same: dog === again, name: seen?.name, limit: seen?.limitMs, after: dog.current()?.name }));`,
      'quick',
    );
    expect(r.status, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout))).toEqual({ same: true, name: 'demo.test.ts > quick', limit: 400, after: 'demo.test.ts > last' });
    expect(r.stderr).not.toContain('hung test');
    expect(r.ms).toBeLessThan(15_000);
  }, 30_000);

  it('limits to twice the timeout, or to $TPFR_HUNG_TEST_MS', () => {
    delete process.env.TPFR_HUNG_TEST_MS;
    expect(hungTestLimit(60_000)).toBe(120_000);
    expect(hungTestLimit(500, 3)).toBe(1500);
    expect(hungTestLimit(0)).toBe(0);
    expect(hungTestLimit(undefined)).toBe(0);
    process.env.TPFR_HUNG_TEST_MS = '2500';
    expect(hungTestLimit(60_000)).toBe(2500);
    process.env.TPFR_HUNG_TEST_MS = 'soon';
    expect(() => hungTestLimit(60_000)).toThrow(/TPFR_HUNG_TEST_MS a positive number of ms, received 'soon'/);
  });

  // vitest.setup.ts arms it in forked workers only (Stryker runs the tests in threads).
  it.skipIf(!isMainThread || typeof process.send !== 'function')(
    "is armed in this vitest worker, with this test's name and twice its timeout",
    () => {
      const now = hungTestWatchdog().current();
      expect(now?.name).toBe(
        `${relative(process.cwd(), fileURLToPath(import.meta.url))} > hung-test watchdog > is armed in this vitest worker, with this test's name and twice its timeout`,
      );
      expect(now?.limitMs).toBe(hungTestLimit(20_000));
    },
    20_000,
  );

  it("fails a vitest run (exit code ≠ 0) whose test hangs, with the test's name, within seconds", () => {
    // The repository's own config (vitest.setup.ts arms the watchdog), a 0.5 s testTimeout: a 1 s limit.
    const probe = fileURLToPath(new URL(`./hung-watchdog-probe-${process.pid}.test.ts`, import.meta.url));
    const t0 = Date.now();
    try {
      writeFileSync(
        probe,
        `import { describe, expect, it } from 'vitest';
describe('watchdog probe', () => {
  it('passes', () => expect(1).toBe(1));
  it('spins', () => { let i = 0; while (i >= 0) i = (i + 1) % 1e9; });
});
`,
      );
      const r = spawnSync(
        process.execPath,
        [fileURLToPath(new URL('node_modules/vitest/vitest.mjs', `file://${repo}`)), 'run', relative(repo, probe), '--testTimeout=500'],
        {
          cwd: repo,
          encoding: 'utf8',
          timeout: 60_000,
          env: childEnv(),
        },
      );
      const out = `${r.stdout}\n${r.stderr}`;
      expect(r.status, out).not.toBe(0);
      expect(r.signal, out).toBeNull();
      expect(out).toContain(`hung test: ${relative(repo, probe)} > watchdog probe > spins (`);
      expect(out).toMatch(/limit 1\.0 s\): killing its process/);
      expect(Date.now() - t0).toBeLessThan(20_000);
    } finally {
      rmSync(probe, { force: true });
    }
  }, 60_000);
});
