/**
 * Types of tfjs-layers that its public index does not re-export.
 * @module
 */
export type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
export type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';
