/**
 * Training datasets: the seeded synthetic dataset (default, nothing to download) and image
 * folders in the authors' layout, behind one {@link StyleDataset} interface.
 * @module
 */
export type { StyleBatch, StyleDataset } from './types.js';
export { DatasetError } from './errors.js';
export { SYNTHETIC_STYLE_CLASSES, TRAIN_STYLE_CLASSES, HELD_OUT_STYLE_CLASSES, STYLE_CLASS_SPECS } from './style-classes.js';
export type { StyleClassSpec, StylePattern, EdgeTreatment } from './style-classes.js';
export { renderScenePixels } from './scene.js';
export { paintPixels, styleClassSpec } from './paint.js';
export { createSyntheticDataset, renderPhoto, paintWithClass } from './synthetic.js';
export type { SyntheticDataset, SyntheticDatasetOptions } from './synthetic.js';
export { scanImageFolders } from './folder-layout.js';
export type { FolderLayout, ScanOptions } from './folder-layout.js';
export { createImageFolderDataset } from './image-folder.js';
export type { ImageFolderDataset, ImageFolderDatasetOptions } from './image-folder.js';
