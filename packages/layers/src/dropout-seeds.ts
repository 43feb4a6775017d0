/**
 * Added to the layer's dropout seed in stage 2 (stage 1 adds nothing), so that the two stages'
 * masks differ. 7919 is the 1000th prime. Fixed: seeded training runs repeat across versions.
 */
export const STAGE_2_SEED_SALT = 7919;

/**
 * Multiplies the chunk number in the dropout seed, so that the chunks' masks differ; a pool's
 * tied rows count as chunk {@link tiedRowsChunk}. 104729 is the 10000th prime. Fixed, as
 * {@link STAGE_2_SEED_SALT}.
 */
export const CHUNK_SEED_SALT = 104729;

/** The attention dropout of one stage in one call: its rate and the seed of each chunk. */
export interface StageDropout {
  /** Dropout rate on the logits (0 outside training). */
  readonly rate: number;
  /**
   * The seed of chunk `chunk` (chunks counted over the stage's pools, from 0):
   * `seed + 7919·(stage 2 ? 1 : 0) + 104729·chunk`, or undefined when the layer is unseeded.
   */
  seed(chunk: number): number | undefined;
}

/**
 * The attention dropout of stage `stage` for a call with the layer's `seed` (null: unseeded;
 * see `PeerRecombination.setDropoutSeed`) and `rate` (the layer's in training, else 0).
 */
export function stageDropout(stage: 1 | 2, rate: number, seed: number | null): StageDropout {
  return {
    rate,
    seed: (chunk) => (seed == null ? undefined : seed + STAGE_2_SEED_SALT * (stage === 2 ? 1 : 0) + CHUNK_SEED_SALT * chunk),
  };
}

/**
 * The chunk number whose seed a pool's tied rows take: `−1 − firstChunk`, `firstChunk` being the
 * chunks of the pools before (negative, so never a regular chunk's number).
 */
export function tiedRowsChunk(firstChunk: number): number {
  return -1 - firstChunk;
}
