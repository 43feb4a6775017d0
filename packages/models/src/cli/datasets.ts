import { createImageFolderDataset } from '../data/image-folder.js';
import { createSyntheticDataset } from '../data/synthetic.js';
import type { StyleDataset } from '../data/types.js';

/** `synthetic` (the built-in seeded set, crops of `renderSize` scenes when given) or a folder in the authors' layout. */
export function openDataset(data: string, size: number, seed: number, renderSize?: number): StyleDataset {
  return data === 'synthetic' ? createSyntheticDataset({ size, seed, renderSize }) : createImageFolderDataset(data, { size, seed });
}
