import { createImageFolderDataset, createSyntheticDataset, type StyleDataset } from '@tpfr/models/data';

/** `synthetic` (the built-in seeded set, crops of `renderSize` scenes when given) or a folder in the authors' layout. */
export function openDataset(data: string, size: number, seed: number, renderSize?: number): StyleDataset {
  return data === 'synthetic' ? createSyntheticDataset({ size, seed, renderSize }) : createImageFolderDataset(data, { size, seed });
}
