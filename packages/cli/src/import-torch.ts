import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { TpfrError } from '@tpfr/core';
import { readTorchCheckpoint, type TorchCheckpoint } from '@tpfr/core/torch';
import { formatMiB } from '@tpfr/core/utils';
import { MODEL_MANIFEST, saveModel } from '@tpfr/models/node';
import type { TpfrModel } from '@tpfr/models';
import { importTorchGenerator, type TorchImportReport } from '@tpfr/models/torch';
import { setUp } from './commands.js';
import { CliError } from './errors.js';

/** `tpfr import-torch` options. */
export interface ImportTorchCommandOptions {
  /** The authors' generator checkpoint (`*_net_G.pth`). */
  file: string;
  /** The model folder to write (replaced atomically if it is a model folder already). */
  out: string;
  /** The authors' discriminator checkpoint (`*_net_D.pth`), optional. */
  discriminator?: string;
  /** tfjs backend (default `'cpu'`: importing computes nothing). */
  backend?: string;
  /** One summary line instead of the full report. */
  quiet?: boolean;
}

function inputFile(option: string, path: string | undefined): string {
  if (typeof path !== 'string' || path === '') throw new CliError(`${option}: expected a .pth file, received nothing`, 2);
  if (!existsSync(path)) throw new CliError(`${option} ${path}: no such file`);
  if (!statSync(path).isFile()) throw new CliError(`${option} ${path}: expected a file, received a directory`);
  return path;
}

function readCheckpointFile(option: string, path: string): { ck: TorchCheckpoint; bytes: number } {
  const bytes = readFileSync(path);
  try {
    return { ck: readTorchCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)), bytes: bytes.byteLength };
  } catch (e) {
    if (e instanceof TpfrError) throw new CliError(`${option} ${path}: ${e.message}`);
    throw e;
  }
}

/**
 * The authors' generator checkpoint `file` imported into a model in memory (the import's checks;
 * a file that cannot be read or does not fit fails, exit 1, naming `option` and the file).
 */
export function importGeneratorFile(option: string, file: string): TpfrModel {
  const g = readCheckpointFile(option, inputFile(option, file));
  try {
    return importTorchGenerator(g.ck).model;
  } catch (e) {
    if (e instanceof TpfrError) throw new CliError(`${option} ${file}: ${e.message}`);
    throw e;
  }
}

const n = (v: number) => v.toLocaleString('en');
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * `tpfr import-torch <file.pth> --out <dir> [--discriminator <D.pth>]`: reads the authors'
 * PyTorch generator checkpoint (legacy or zip format), imports it with `importTorchGenerator`
 * (every key checked first; all named in one message when something does not fit), saves the
 * model into `--out` atomically (written to a temporary folder, then renamed) and prints what it
 * found: format, ngf, parameters, keys mapped and ignored, and the time taken.
 *
 * Exit codes (through `main`): 2 for usage errors (no file, no `--out`, an `--out` that is a file
 * or a non-empty folder that is not a model folder), 1 for failures (missing or unreadable file,
 * a checkpoint that does not fit).
 * @returns the import report.
 */
export async function importTorchCommand(o: ImportTorchCommandOptions): Promise<TorchImportReport> {
  const t0 = performance.now();
  const file = inputFile('<file.pth>', o.file);
  if (typeof o.out !== 'string' || o.out === '') throw new CliError(`option --out: expected a model folder to write, received nothing`, 2);
  const out = resolve(o.out);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new CliError(`option --out ${o.out}: exists and is not a folder`, 2);
    if (!existsSync(resolve(out, MODEL_MANIFEST)) && readdirSync(out).length > 0) {
      throw new CliError(
        `option --out ${o.out}: a non-empty folder that is not a model folder (no ${MODEL_MANIFEST}); refusing to replace it`,
        2,
      );
    }
  }
  const dFile = o.discriminator === undefined ? undefined : inputFile('--discriminator', o.discriminator);
  await setUp({ backend: o.backend ?? 'cpu', quiet: true });

  const g = readCheckpointFile('<file.pth>', file);
  const d = dFile === undefined ? undefined : { ...readCheckpointFile('--discriminator', dFile), file: dFile };
  const t1 = performance.now();
  let result: ReturnType<typeof importTorchGenerator>;
  try {
    result = importTorchGenerator(g.ck, { discriminator: d?.ck });
  } catch (e) {
    if (e instanceof TpfrError) throw new CliError(`${file}: ${e.message}`);
    throw e;
  }
  const { model, report } = result;
  const k = model.config.k;
  const t2 = performance.now();
  try {
    await saveModel(model, out, {
      importedFrom: {
        generator: { file: basename(file), format: g.ck.format, bytes: g.bytes },
        // A discriminator given is always reported on (mapped or not): report.discriminator is set.
        ...(d
          ? { discriminator: { file: basename(d.file), format: d.ck.format, bytes: d.bytes, mapped: report.discriminator!.mapped } }
          : {}),
        parameterCount: report.parameterCount,
      },
    });
  } finally {
    model.dispose();
  }
  const t3 = performance.now();
  const dLine =
    report.discriminator === null
      ? `discriminator: none given; fresh weights (ndf ${report.ndf})`
      : report.discriminator.mapped
        ? `discriminator: ${d!.ck.format} checkpoint, ${report.discriminator.keys} keys mapped (ndf ${report.discriminator.ndf}, ${n(report.discriminator.parameterCount)} parameters)`
        : `discriminator: not mapped, fresh weights (ndf ${report.ndf}): ${report.discriminator.reason}`;
  if (report.discriminator && !report.discriminator.mapped)
    process.stderr.write(`tpfr: warning: ${dFile}: ${report.discriminator.reason}; the discriminator keeps fresh weights\n`);
  if (o.quiet) {
    console.log(
      `imported ${file} (${g.ck.format}, ngf ${report.ngf}, ${n(report.parameterCount)} parameters, ${report.mapped} keys mapped, ${report.ignored.length} ignored) into ${out} in ${secs(t3 - t0)}`,
    );
  } else {
    console.log(
      [
        `read ${file}: PyTorch ${g.ck.format} checkpoint, ${formatMiB(g.bytes)}, ${report.keys} keys${report.modulePrefixed ? ` ('module.' prefix stripped from ${report.modulePrefixed})` : ''}`,
        `generator: ResnetGeneratorResidual, ngf ${report.ngf}, ${report.residualBlocks} residual blocks, ${n(report.parameterCount)} parameters (+ ${n(report.bufferCount)} BatchNorm running statistics)`,
        `keys: ${report.mapped} mapped, ${report.ignored.length} ignored${report.ignored.length ? ` (${report.ignored.join(', ')})` : ''}`,
        dLine,
        `model: downsamplePadding 'symmetric', ties 'include', k ${k}; saved to ${out}`,
        `time: ${secs(t3 - t0)} (read ${secs(t1 - t0)}, import ${secs(t2 - t1)}, save ${secs(t3 - t2)})`,
      ].join('\n'),
    );
  }
  return report;
}
