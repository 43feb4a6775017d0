import { relative } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { hungTestLimit, hungTestWatchdog } from './packages/testing/src/hung-test-watchdog.ts';

/**
 * Run before every test file (`setupFiles`): arms the hung-test watchdog (see
 * `packages/testing/src/hung-test-watchdog.ts`). A test that runs past twice its timeout
 * (`$TPFR_HUNG_TEST_MS` overrides the limit) is taken for hung: its name goes to stderr as
 * `hung test: <file> > <suite> > <test> (<seconds> s …)` and its process is killed, so that the
 * run fails with that name instead of stalling. The file's hooks are watched the same way,
 * against twice the hook timeout.
 *
 * Only in forked workers (pool `'forks'`): a thread worker shares its process with vitest (and,
 * under Stryker, with the runner, which has its own timeouts).
 */

/** `{ testTimeout, hookTimeout }` of the worker's resolved config (vitest's internal worker state; 60 s when absent). */
function timeouts(): { testTimeout: number; hookTimeout: number } {
  const config = (globalThis as { __vitest_worker__?: { config?: { testTimeout?: number; hookTimeout?: number } } }).__vitest_worker__
    ?.config;
  return { testTimeout: config?.testTimeout ?? 60_000, hookTimeout: config?.hookTimeout ?? 60_000 };
}

/** `name` of a test task with its suites, outermost first, as vitest prints them: `a > b > test`. */
function fullName(task: { name: string; suite?: { name: string; suite?: unknown } }): string {
  const names = [task.name];
  for (let s = task.suite as { name: string; suite?: unknown } | undefined; s; s = s.suite as typeof s) if (s.name) names.unshift(s.name);
  return names.join(' > ');
}

if (isMainThread && typeof process.send === 'function') {
  const dog = hungTestWatchdog({ exitWithParent: true });
  const testPath = expect.getState().testPath;
  const file = testPath ? relative(process.cwd(), testPath) : '(unknown file)';
  const { hookTimeout } = timeouts();
  const hooks = (what: string) => dog.start(`${file} > (${what})`, hungTestLimit(hookTimeout));
  // Registered first, so vitest runs these before the file's own beforeAll/beforeEach and after its
  // afterEach/afterAll (hooks run as a stack): the file's hooks count as the test's or as 'hooks'.
  hooks('collecting and beforeAll hooks');
  beforeAll(() => hooks('beforeAll hooks'));
  beforeEach((ctx) => {
    dog.start(`${file} > ${fullName(ctx.task)}`, hungTestLimit(ctx.task.timeout ?? timeouts().testTimeout));
  });
  afterEach((ctx) => hooks(`after ${fullName(ctx.task)}`));
  afterAll(() => dog.stop());
}
