/**
 * The steps of the authors' test-time pipeline (nnaisense/conditional-style-transfer `test.py`)
 * as pure functions on tfjs tensors (`[H, W, 3]` or `[B, H, W, 3]`): Pillow's bicubic resize
 * (bit-exact), torchvision's `Resize(S)` size rule and `CenterCrop`, the content's reflect pad
 * `8·⌊S/256⌋` and its crop, and imageio's min–max stretch to 8 bits. `stylize(…, { pipeline })`
 * chains them.
 * @module
 */
export { resizeBicubicPil, resizeShorterSide, shorterSideSize } from './resize.js';
export { centerCrop, centerCropOffsets, authorsContentPad, reflectPad, cropBorder } from './geometry.js';
export { minMaxStretch } from './stretch.js';
export type { MinMaxStretchOptions } from './stretch.js';
