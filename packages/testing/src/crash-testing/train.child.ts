/**
 * A child process of the crash tests (`node --import tsx`, run from the repository root): trains
 * the micro model on the synthetic set on wasm, checkpointing into a folder, and says what it does
 * on stdout, one line each: `resumed K` (with `resume`), `step N {losses}`, `saving N` (a
 * checkpoint of step N is written next), `done`; or `error <message>` (exit 1). The tests kill
 * it at random moments.
 *
 * Arguments: `<checkpointDir> <steps> <every> <seed> [resume]`.
 */
import { initBackend } from '@tpfr/core';
import { createSyntheticDataset } from '@tpfr/models/data';
import { TpfrTrainer } from '@tpfr/models/train';
import { MICRO_MODEL } from '../micro-model.js';

const [dir, stepsArg, everyArg, seedArg, mode] = process.argv.slice(2);
const steps = Number(stepsArg);
const every = Number(everyArg);
const seed = Number(seedArg);
const say = (line: string) => process.stdout.write(`${line}\n`);

try {
  await initBackend('wasm');
  const data = createSyntheticDataset({ size: 32, seed });
  let trainer: TpfrTrainer;
  if (mode === 'resume') {
    trainer = await TpfrTrainer.resume(dir, data);
    say(`resumed ${trainer.step}`);
  } else {
    trainer = new TpfrTrainer(TpfrTrainer.createModel(MICRO_MODEL, seed), data, { steps, seed, warmupSteps: 1 });
  }
  await trainer.fit({
    checkpointDir: dir,
    checkpointEvery: every,
    onStep: (info) => {
      say(`step ${info.step} ${JSON.stringify(info.losses)}`);
      // fit writes a checkpoint after this call on every `every`-th step and after the last one.
      if (info.step % every === 0 || info.step === steps) say(`saving ${info.step}`);
    },
  });
  say('done');
  process.exit(0);
} catch (e) {
  // One line (an uncaught error would print the wasm module's source).
  say(`error ${(e as Error).message}`);
  process.exit(1);
}
