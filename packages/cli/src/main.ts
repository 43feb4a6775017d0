import { Command, CommanderError, Option } from 'commander';
import type { EvalOptions, StylizeCommandOptions, TrainOptions } from './commands.js';
import { CliError, nonNegativeInt, positiveInt } from './errors.js';
import { mark } from './marks.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * The commands, loaded when one runs: `tpfr --help` and usage errors answer without loading
 * TensorFlow.js, and each command loads only what it uses (see commands.ts).
 */
async function commands(): Promise<typeof import('./commands.js')> {
  const loaded = await import('./commands.js');
  mark('modules');
  return loaded;
}

/** The `tpfr` program (commander), without running it. */
export function createProgram(): Command {
  const program = new Command('tpfr')
    .description('Zero-shot style transfer with Two-Stage Peer-Regularized Feature Recombination (TPFR), on TensorFlow.js')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const backend = () => new Option('--backend <name>', 'tfjs backend: auto, tensorflow, webgpu, wasm or cpu').default('wasm');
  const quiet = () => new Option('-q, --quiet', 'no progress bars');

  program
    .command('train')
    .description('train a model on the synthetic style set or on image folders (a photo folder plus one folder per style class)')
    .option('--data <synthetic|DIR>', "'synthetic' or a dataset folder", 'synthetic')
    .option('--preset <name>', 'architecture: tiny or paper', 'tiny')
    .option('--steps <n>', 'training steps', '1000')
    .option('--size <px>', 'training image side', '64')
    .option('--render-size <px>', 'synthetic set only: cut the training images from scenes of this side (textures keep their scale)')
    .option('--batch <n>', 'samples per step', '1')
    .option('--peer-paintings <n>', "paintings in each training peer pool: 1 (the authors' B′) or 2 (B′ and B)", '1')
    .option('--seed <n>', 'seed of the whole run', '0')
    .option('--checkpoint <dir>', 'checkpoint folder (the model ends up in DIR/model)', 'out/train')
    .option('--every <n>', 'steps between checkpoints', '100')
    .option('--warmup <n>', 'reconstruction-only warm-up steps at the start', '0')
    .option('--lr <rate>', 'Adam learning rate (the authors: 4e-4)', '4e-4')
    .option('--ema <decay>', 'also keep a moving average of the generator weights (e.g. 0.999) and save it to DIR/model-averaged', '0')
    .option('--resume', 'continue from the checkpoint folder')
    .option(
      '--memory-budget <size>',
      'refuse a run whose estimated step memory is above this, in MiB or with a unit (3000, 3.5GiB; default on wasm: its 4 GiB heap)',
    )
    .option(
      '--recompute <when>',
      "recompute the networks' activations block by block in the backward pass instead of keeping them (less memory, about a third more time): auto (when a step would not fit the memory budget otherwise), on or off",
      'auto',
    )
    .addOption(backend())
    .addOption(quiet())
    .action(async (o: TrainOptions, cmd: Command) =>
      (await commands()).trainCommand({ ...o, explicit: new Set(Object.keys(o).filter((k) => cmd.getOptionValueSource(k) === 'cli')) }),
    );

  program
    .command('stylize')
    .description('stylize content images (PNG or JPEG, any size) in the style of one or more exemplars')
    .requiredOption('--model <dir>', 'model folder')
    .requiredOption('--content <img>', 'content image or folder of images (repeat for several; the exemplars are encoded once)', collect)
    .requiredOption(
      '--style <img>',
      "style exemplar, or a folder of one style's images (repeat for several: they form one peer pool, or with --style-weights / --mask one style each)",
      collect,
    )
    .requiredOption('--out <img>', 'output image (.png or .jpg), or a folder for several contents (one <name>.png each)')
    .option('--stages <s>', 'two-stage or style-only', 'two-stage')
    .option('--k <n>', "neighbours per pixel (default: the model's)")
    .option('--strength <s>', "how strongly to stylize, 0 (the content's reconstruction) to 1 (default: the full stylization)")
    .option(
      '--style-weights <w,…>',
      'one weight per --style, in their order (e.g. 0.7,0.3): each style recombines the content on its own, mixed by weight',
    )
    .option(
      '--preserve-color <mode>',
      "keep the content's colours: luminance (the result's luminance, the content's chroma) or histogram (the styles matched to the content's colours)",
    )
    .option('--mask <img>', 'a mask per --style, in their order (white where that style applies; any size): a style per region', collect)
    .option(
      '--frames',
      'the --content is one sequence (a folder of frames, or an animated GIF): frames kept coherent, written into the --out folder under their names',
    )
    .option(
      '--no-coherence',
      'with --frames: each frame stylized on its own (no hysteresis on the neighbours, no smoothing where the input is still)',
    )
    .option('--animation <file.gif>', 'with --frames: also write the result as an animated GIF')
    .option('--fps <n>', "with --frames: the animation's frames per second (default: the GIF's own, else 10)")
    .option(
      '--size <S>',
      "the authors' test.py pipeline at S: content and styles resized (shorter side to S, Pillow bicubic) and centre-cropped to S×S, the content reflect-padded, the result min–max stretched to 0–255",
    )
    .option('--pad <px>', 'reflect pad of the content on every side, cropped off the result (default: 8·⌊S/256⌋ with --size, else 0)')
    .option('--no-crop', 'with --size: no centre crop (the resized images keep their aspect ratio)')
    .option(
      '--no-stretch',
      'with --size: the plain [-1, 1] → 0–255 mapping instead of the min–max stretch (always the case without --size)',
    )
    .option(
      '--memory-budget <MiB>',
      "refuse an image whose estimated peak memory is above this (default on wasm: its 4 GiB heap less what is in use; on cpu and tensorflow: 90 % of the machine's memory)",
    )
    .option(
      '--jobs <n>',
      'with several contents: worker processes sharing them, each on an equal share of the cores (default 1: one process on every core; on wasm 2 pays off from about a dozen images on 2 cores, at twice the memory)',
    )
    .addOption(backend())
    .addOption(quiet())
    .action(async (o: StylizeCommandOptions) => (await commands()).stylizeCommand(o));

  program
    .command('import-torch')
    .description("import the authors' PyTorch generator (ResnetGeneratorResidual, *_net_G.pth, legacy or zip format) into a model folder")
    .argument('<file.pth>', "the authors' generator checkpoint")
    .requiredOption('--out <dir>', 'model folder to write (replaced atomically)')
    .option('--discriminator <D.pth>', "the authors' discriminator checkpoint (*_net_D.pth), optional")
    .addOption(new Option('--backend <name>', 'tfjs backend: auto, tensorflow, webgpu, wasm or cpu').default('cpu'))
    .addOption(quiet())
    .action(async (file: string, o: { out: string; discriminator?: string; backend: string; quiet?: boolean }) => {
      const { importTorchCommand } = await import('./import-torch.js');
      await importTorchCommand({ file, ...o });
    });

  program
    .command('eval')
    .description('score a model on the held-out synthetic style classes (style distance reduction, edge correlation)')
    .requiredOption('--model <dir>', 'model folder')
    .option('--images <n>', 'content images per held-out class', '8')
    .option('--size <px>', 'image side', '96')
    .option('--seed <n>', 'seed of the evaluation images', '1000003')
    .option('--exemplars <n>', 'paintings of the class in each peer pool (as the demo)', '4')
    .option('--stages <s>', 'two-stage or style-only', 'two-stage')
    .option('--k <n>', "neighbours per pixel (default: the model's)")
    .option('--out <file>', 'write the full report as JSON')
    .addOption(backend())
    .addOption(quiet())
    .action(async (o: EvalOptions) => (await commands()).evalCommand(o));

  program
    .command('info')
    .description("versions, the backend in use, and a model's configuration")
    .option('--model <dir>', 'model folder')
    .addOption(backend())
    .action(async (o: { backend: string; model?: string }) => (await commands()).infoCommand(o));

  program
    .command('demo')
    .description(
      'the main job: train the tiny preset on the synthetic set (every one of --steps, no time limit), stylize held-out styles, write grid.png and metrics.json',
    )
    .option('--out <dir>', 'output folder', 'out/demo')
    .option('--steps <n>', 'training steps, warm-up included', '3000')
    .option('--warmup <n>', 'reconstruction-only warm-up steps', '1000')
    .option('--seed <n>', 'seed', '0')
    .addOption(quiet())
    .action(async (o: { out: string; steps: string; warmup: string; seed: string; quiet?: boolean }) => {
      const { runDemo } = await import('./demo.js');
      await runDemo({
        out: o.out,
        steps: positiveInt('--steps', o.steps),
        warmupSteps: nonNegativeInt('--warmup', o.warmup),
        seed: nonNegativeInt('--seed', o.seed),
        quiet: o.quiet,
      });
    });
  return program;
}

/** Runs the program on `argv` and returns the exit code; messages go to stderr. */
export async function main(argv: string[]): Promise<number> {
  mark('main');
  try {
    await createProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError)
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0 ? 0 : 2;
    if (e instanceof CliError) {
      process.stderr.write(`tpfr: ${e.message}\n`);
      return e.exitCode;
    }
    // Thrown only once a command has loaded @tpfr/core.
    const { TpfrError } = await import('@tpfr/core');
    if (e instanceof TpfrError) {
      process.stderr.write(`tpfr: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`tpfr: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
