import { ValueError } from '@tpfr/core';
import { formatMiB } from '@tpfr/core/utils';
import { latentWidths, type TpfrModelConfig } from '../model/config.js';
import type { BandOptions } from './band-executor.js';

/** How inference runs for large images: options of `TpfrModel.encode`, `codes`, `decode` and `stylize`. */
export interface InferenceOptions {
  /**
   * The largest map, in bytes, that inference allocates whole on the backend (default 256 MiB:
   * the networks run whole up to about 1024² with ngf 64). Stages whose full-resolution map is
   * larger run in bands of rows of at most an eighth of it; latent codes larger than it are kept
   * in JS memory and recombined in bands of rows. Lower it to use less memory on the backend.
   */
  mapBudgetBytes?: number;
  /**
   * `'auto'` (default): bands as `mapBudgetBytes` decides; `'always'`: every stage in bands (the
   * same result up to float rounding); `'never'`: every stage whole.
   */
  bands?: 'auto' | 'always' | 'never';
  /**
   * Rows per band of every map (default: as many as fit an eighth of `mapBudgetBytes`). Given, the
   * residual blocks run in bands too whatever their size.
   */
  bandRows?: number;
}

/** The default of {@link InferenceOptions.mapBudgetBytes}: 256 MiB. */
export const DEFAULT_MAP_BUDGET_BYTES = 256 * 2 ** 20;

/**
 * How each stage of one inference runs: made from the sizes and the
 * options, followed by `encode`, `codes`, `decode`, `stylize` and the memory estimate alike.
 */
export interface InferencePlan {
  /** The encoder: one pass over whole maps, or band by band. */
  encode: 'whole' | 'bands';
  /** Where the content's codes wait between the stages: on the backend, or in JS memory. */
  codes: 'backend' | 'host';
  /** Latent rows per recombination call (the latent's height: one call). */
  recombineRows: number;
  /** The decoder: one pass over whole maps, or band by band. */
  decode: 'whole' | 'bands';
  /** The bands' sizes, when a stage runs in bands. */
  bands: BandOptions;
}

/** The options checked, with their defaults. */
function resolve(fn: string, opts: InferenceOptions): Required<Omit<InferenceOptions, 'bandRows'>> & Pick<InferenceOptions, 'bandRows'> {
  const mapBudgetBytes = opts.mapBudgetBytes ?? DEFAULT_MAP_BUDGET_BYTES;
  if (!(Number.isFinite(mapBudgetBytes) && mapBudgetBytes > 0)) throw new ValueError(fn, 'mapBudgetBytes > 0', String(opts.mapBudgetBytes));
  const bands = opts.bands ?? 'auto';
  if (bands !== 'auto' && bands !== 'always' && bands !== 'never')
    throw new ValueError(fn, "bands 'auto', 'always' or 'never'", String(opts.bands));
  if (opts.bandRows !== undefined && !(Number.isInteger(opts.bandRows) && opts.bandRows >= 1))
    throw new ValueError(fn, 'bandRows a positive integer', String(opts.bandRows));
  return { mapBudgetBytes, bands, bandRows: opts.bandRows };
}

/**
 * The plan of one inference over images `[B, H, W]` (sides multiples of the network's): the
 * stages run whole while their full-resolution map (`B·H·W·ngf` floats) fits `mapBudgetBytes`,
 * else in bands; the codes (`B·h·w·(Cc + Cs)` floats) stay on the backend while they fit it, else
 * they wait in JS memory and are recombined in bands of rows.
 */
export function planInference(
  fn: string,
  config: TpfrModelConfig,
  images: [number, number, number],
  opts: InferenceOptions = {},
): InferencePlan {
  const o = resolve(fn, opts);
  const [b, h, w] = images;
  const lw = latentWidths(config);
  const fullResolution = 4 * b * h * w * config.ngf;
  const latentRowBytes = 4 * b * (w / lw.multiple) * (lw.content + lw.style);
  const latentHeight = h / lw.multiple;
  const codeBytes = latentRowBytes * latentHeight;
  const banded = o.bands === 'always' || (o.bands === 'auto' && fullResolution > o.mapBudgetBytes);
  const hostCodes = o.bands !== 'never' && codeBytes > o.mapBudgetBytes;
  const bandBytes = o.mapBudgetBytes / 8;
  return {
    encode: banded ? 'bands' : 'whole',
    codes: hostCodes ? 'host' : 'backend',
    recombineRows: hostCodes ? Math.max(1, Math.min(latentHeight, Math.floor(bandBytes / latentRowBytes))) : latentHeight,
    decode: banded ? 'bands' : 'whole',
    bands: { bandBytes, bandRows: o.bandRows, wholeBlockBytes: o.mapBudgetBytes / 2 },
  };
}

/** A plan in words, for messages: `"whole"`, or which stages run in bands. */
export function describePlan(p: InferencePlan): string {
  if (p.encode === 'whole' && p.decode === 'whole' && p.codes === 'backend') return 'whole maps';
  const parts = [
    p.encode === 'bands'
      ? `bands of ${p.bands.bandRows ?? `up to ${formatMiB(p.bands.bandBytes)}`}${p.bands.bandRows ? ' rows' : ''}`
      : 'whole maps',
  ];
  if (p.codes === 'host') parts.push(`codes in JS memory, recombined ${p.recombineRows} latent rows at a time`);
  return parts.join(', ');
}
