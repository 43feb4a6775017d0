/**
 * The style classes of the synthetic dataset. Each class has its own palette, stroke or texture
 * pattern and edge treatment, so that its paintings share strong, recognisable colour and Gram
 * statistics. Two classes are held out of training for zero-shot evaluation.
 * @module
 */
import type { Rgb } from './raster.js';

/** The texture patterns a synthetic style class can overlay. */
export type StylePattern = 'hatch' | 'dots' | 'strokes-h' | 'crosshatch' | 'tiles' | 'waves' | 'grain' | 'rings' | 'stipple' | 'stripes-v';

/** How a synthetic style class treats the edges of the scene. */
export type EdgeTreatment = 'outline' | 'blur' | 'posterize' | 'glow' | 'none';

/** Full description of one synthetic style class. */
export interface StyleClassSpec {
  /** Stable name, e.g. `'hatch-sepia'`. */
  readonly name: string;
  /** Palette colours (RGB in `[0, 1]`), ordered from dark to light. */
  readonly palette: readonly Rgb[];
  /** Texture overlaid on the luminance before palette mapping. */
  readonly pattern: StylePattern;
  /** Period of the pattern in pixels at a 64-pixel image (scaled with the image size). */
  readonly period: number;
  /** Amplitude of the pattern on the luminance (`[0, 1]` scale). */
  readonly strength: number;
  /** Edge treatment. */
  readonly edges: EdgeTreatment;
  /** `true`: luminance is quantised to the palette colours (flat bands); `false`: smooth gradient map. */
  readonly posterize: boolean;
  /** Radius in pixels (at 64 px) of a box blur applied to the photo first (0: none). */
  readonly preBlur: number;
  /** Fraction of the photo's own colour mixed back into the result (`[0, 1]`). */
  readonly keepColour: number;
}

const hex = (h: string): Rgb => [parseInt(h.slice(1, 3), 16) / 255, parseInt(h.slice(3, 5), 16) / 255, parseInt(h.slice(5, 7), 16) / 255];

/** Every synthetic style class, training classes first. */
export const STYLE_CLASS_SPECS: readonly StyleClassSpec[] = [
  {
    name: 'hatch-sepia',
    palette: ['#2b1a0e', '#6b4423', '#a87b4f', '#d9b98c', '#f3e6cc'].map(hex),
    pattern: 'hatch',
    period: 4,
    strength: 0.35,
    edges: 'outline',
    posterize: false,
    preBlur: 0,
    keepColour: 0,
  },
  {
    name: 'pointillist-pastel',
    palette: ['#7a8fb8', '#b39ddb', '#f4a9c0', '#fbe7a1', '#fff8ef'].map(hex),
    pattern: 'dots',
    period: 4,
    strength: 0.45,
    edges: 'blur',
    posterize: false,
    preBlur: 1,
    keepColour: 0.15,
  },
  {
    name: 'brush-ocean',
    palette: ['#04263f', '#0b4f6c', '#1f8a9e', '#7ccad5', '#e0f4f5'].map(hex),
    pattern: 'strokes-h',
    period: 6,
    strength: 0.3,
    edges: 'posterize',
    posterize: true,
    preBlur: 1,
    keepColour: 0,
  },
  {
    name: 'crosshatch-ink',
    palette: ['#0b1a3a', '#2c3e7a', '#8d9bc4', '#f4ecd8'].map(hex),
    pattern: 'crosshatch',
    period: 4,
    strength: 0.55,
    edges: 'outline',
    posterize: true,
    preBlur: 0,
    keepColour: 0,
  },
  {
    name: 'mosaic-jewel',
    palette: ['#1b1030', '#9b1d3a', '#137a4a', '#1f4fa8', '#e0b422'].map(hex),
    pattern: 'tiles',
    period: 6,
    strength: 0.15,
    edges: 'none',
    posterize: true,
    preBlur: 0,
    keepColour: 0.1,
  },
  {
    name: 'wave-sunset',
    palette: ['#2d0f3f', '#7b2d6b', '#d4506a', '#f28c3a', '#ffd37a'].map(hex),
    pattern: 'waves',
    period: 5,
    strength: 0.3,
    edges: 'posterize',
    posterize: true,
    preBlur: 1,
    keepColour: 0,
  },
  {
    name: 'grain-noir',
    palette: ['#000000', '#2a2a2a', '#7a7a7a', '#d8d8d8', '#ffffff'].map(hex),
    pattern: 'grain',
    period: 1,
    strength: 0.35,
    edges: 'none',
    posterize: false,
    preBlur: 0,
    keepColour: 0,
  },
  {
    name: 'rings-neon',
    palette: ['#0a0014', '#ff2fd1', '#2af0ff', '#b6ff3b'].map(hex),
    pattern: 'rings',
    period: 5,
    strength: 0.4,
    edges: 'glow',
    posterize: false,
    preBlur: 0,
    keepColour: 0,
  },
  // Held out for zero-shot evaluation.
  {
    name: 'stipple-forest',
    palette: ['#0f2a0a', '#1f6b1a', '#5ea83a', '#c9b45a', '#f1ecc0'].map(hex),
    pattern: 'stipple',
    period: 2,
    strength: 0.6,
    edges: 'outline',
    posterize: false,
    preBlur: 0,
    keepColour: 0,
  },
  {
    name: 'stripes-pop',
    palette: ['#111111', '#1e3fd8', '#e3262b', '#ffd400', '#fafafa'].map(hex),
    pattern: 'stripes-v',
    period: 4,
    strength: 0.3,
    edges: 'outline',
    posterize: true,
    preBlur: 0,
    keepColour: 0,
  },
];

/** Names of every synthetic style class (10). */
export const SYNTHETIC_STYLE_CLASSES: readonly string[] = STYLE_CLASS_SPECS.map((s) => s.name);

/** Names of the classes held out of training for zero-shot evaluation (2). */
export const HELD_OUT_STYLE_CLASSES: readonly string[] = ['stipple-forest', 'stripes-pop'];

/** Names of the classes used for training (8): all but {@link HELD_OUT_STYLE_CLASSES}. */
export const TRAIN_STYLE_CLASSES: readonly string[] = SYNTHETIC_STYLE_CLASSES.filter((n) => !HELD_OUT_STYLE_CLASSES.includes(n));
