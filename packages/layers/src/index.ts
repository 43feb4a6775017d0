/**
 * @tpfr/layers: the TPFR layer (two-stage peer-regularized feature recombination) and the
 * layers tfjs-layers lacks, all registered for tfjs serialization (package `tpfr`).
 * Importing this module registers the classes (a side effect). `@tpfr/layers/torch` maps PyTorch
 * state_dicts onto the layers; `@tpfr/layers/node` has a folder `IOHandler` for Node.
 * @module
 */
export { PeerRecombination, peerRecombination } from './tpfr-layer.js';
export type { PeerRecombinationArgs, PeerRecombinationCallArgs, TpfrStages, TpfrActivation } from './tpfr-layer.js';
export { stackPeers, stackPeersPerSample } from './peers.js';
export type { ExemplarCodes } from './peers.js';
export { loadTorchTpfrWeights } from './torch-import.js';
export type { TorchStateDict, StateDictTensorJson, TorchTpfrVariant, StateDictTensor, StateDictTensors } from './torch-import.js';
export { InstanceNormalization, instanceNormalization } from './instance-normalization.js';
// The maths the layer runs, from @tpfr/core (here too, where it has always been).
export { instanceNorm } from '@tpfr/core';
export type { InstanceNormalizationArgs } from './instance-normalization.js';
export { ReflectionPadding2D, reflectionPadding2d, reflectionPad } from './reflection-padding.js';
export type { ReflectionPadding2DArgs, Padding2D } from './reflection-padding.js';
export { ResidualBlock, residualBlock } from './residual-block.js';
export type { ResidualBlockArgs } from './residual-block.js';
export { GlobalStyle, globalStyle } from './global-style.js';
export type { GlobalStyleArgs } from './global-style.js';
export { ChannelSlice, channelSlice } from './channel-slice.js';
export type { ChannelSliceArgs } from './channel-slice.js';
