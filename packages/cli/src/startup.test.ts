/**
 * `tpfr --help`, a usage error and an unknown command answer without loading TensorFlow.js (the
 * commands are imported when one runs): checked in a fresh process, where tfjs-core's engine
 * global (`_tfengine`, made when tfjs-core is evaluated) must still be absent afterwards.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Runs `main(argv)` in a fresh Node process; its exit code, whether tfjs was loaded, and stderr. */
function runMain(argv: string[]): { code: number; tfjsLoaded: boolean; stderr: string } {
  const script = `
    const { main } = await import(${JSON.stringify(MAIN)});
    const code = await main(${JSON.stringify(argv)});
    process.stdout.write(JSON.stringify({ code, tfjsLoaded: '_tfengine' in globalThis }));
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (!last.startsWith('{')) throw new Error(`no result from the child: ${r.stderr}`);
  return { ...(JSON.parse(last) as { code: number; tfjsLoaded: boolean }), stderr: r.stderr };
}

it('answers --help, a usage error and an unknown command without loading TensorFlow.js', () => {
  expect(runMain(['--help'])).toMatchObject({ code: 0, tfjsLoaded: false });
  const usage = runMain(['stylize', '--model', 'm']);
  expect(usage).toMatchObject({ code: 2, tfjsLoaded: false });
  expect(usage.stderr).toMatch(/required option/);
  expect(runMain(['no-such-command'])).toMatchObject({ tfjsLoaded: false });
}, 60_000);
