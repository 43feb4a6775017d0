/**
 * A child process of the concurrency tests (`node --import tsx`): waits until the wall-clock
 * time `<startAt>` (ms since the epoch), then writes the folder `<dir>` with
 * `writeDirAtomically`: `a.txt` (the label), a pause of `<slowMs>`, `b.bin` (64 KiB of the
 * label's first character), `c.txt` (the label). Prints `ok` (exit 0), or `locked <message>`
 * (exit 3) when another writer holds the folder.
 *
 * Arguments: `<dir> <label> <startAt> <slowMs>`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// Internals of @tpfr/models, from its source: the folder writer under test and its lock's error.
import { writeDirAtomically } from '../../../models/src/node/atomic-dir.js';
import { DirLockedError } from '../../../models/src/node/dir-lock.js';

const [dir, label, startAt, slowMs] = process.argv.slice(2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await sleep(Math.max(0, Number(startAt) - Date.now()));
try {
  await writeDirAtomically(dir, async (tmp) => {
    await writeFile(join(tmp, 'a.txt'), label);
    await sleep(Number(slowMs));
    await writeFile(join(tmp, 'b.bin'), Buffer.alloc(65536, label.charCodeAt(0)));
    await writeFile(join(tmp, 'c.txt'), label);
  });
  process.stdout.write('ok\n');
  process.exit(0);
} catch (e) {
  if (e instanceof DirLockedError) {
    process.stdout.write(`locked ${e.message}\n`);
    process.exit(3);
  }
  process.stdout.write(`error ${(e as Error).message}\n`);
  process.exit(1);
}
