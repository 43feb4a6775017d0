/**
 * The region painter: a canvas over the content on which each style image has a brush of its
 * colour; or a mask image loaded per style. Its layers ({@link Regions}) give the stylizer's masks.
 */
import { decodeMaskFile } from './images.js';
import { styleColour, styleRgb } from './palette.js';
import { emptyRegions, loadLayer, masksOf, paintStroke, type Regions } from './regions.js';
import type { MaskPixels } from './pixels.js';

/** The painter's resolution: the content's, its longer side at most this. */
const MAX_SIDE = 512;

export class RegionPainter {
  private regions: Regions = emptyRegions(1, 1, 0);
  private brush = 0;
  private last: { x: number; y: number } | null = null;

  /**
   * @param overlay the canvas laid over the content (pointer events paint on it).
   * @param tools where the brushes, the brush size, the clear button and the mask inputs go.
   * @param onChange called after each change of the regions (to say so in the page).
   */
  constructor(
    private readonly overlay: HTMLCanvasElement,
    private readonly tools: HTMLElement,
    private readonly onChange: (message: string) => void,
  ) {
    overlay.addEventListener('pointerdown', (e) => {
      overlay.setPointerCapture(e.pointerId);
      this.last = this.toRegion(e);
      this.stroke(this.last);
    });
    overlay.addEventListener('pointermove', (e) => {
      if (!this.last) return;
      this.stroke(this.toRegion(e));
    });
    const end = () => {
      if (this.last) this.onChange(this.describe());
      this.last = null;
    };
    overlay.addEventListener('pointerup', end);
    overlay.addEventListener('pointercancel', end);
  }

  /** New content `width × height`, `styles` style images: the layers start empty. */
  reset(width: number, height: number, styles: number): void {
    const f = Math.min(1, MAX_SIDE / Math.max(width, height));
    this.regions = emptyRegions(Math.max(1, Math.round(width * f)), Math.max(1, Math.round(height * f)), styles);
    this.overlay.width = this.regions.width;
    this.overlay.height = this.regions.height;
    this.brush = Math.min(this.brush, Math.max(0, styles - 1));
    this.buildTools(styles);
    this.draw();
  }

  /** The masks for the stylizer (every style where none is painted), or null when nothing is painted. */
  masks(): MaskPixels[] | null {
    return masksOf(this.regions);
  }

  /** Clears every layer. */
  clear(): void {
    for (const l of this.regions.layers) l.fill(0);
    this.draw();
    this.onChange('Regions cleared: every style applies everywhere.');
  }

  private radius(): number {
    const input = this.tools.querySelector<HTMLInputElement>('input[name="brush-size"]');
    const fraction = Number(input?.value ?? 8) / 100;
    return Math.max(1, fraction * Math.max(this.regions.width, this.regions.height));
  }

  private toRegion(e: PointerEvent): { x: number; y: number } {
    const r = this.overlay.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * this.regions.width, y: ((e.clientY - r.top) / r.height) * this.regions.height };
  }

  private stroke(to: { x: number; y: number }): void {
    const from = this.last ?? to;
    paintStroke(this.regions, this.brush, from.x, from.y, to.x, to.y, this.radius());
    this.last = to;
    this.draw();
  }

  private describe(): string {
    const painted = this.regions.layers.map((l, i) => ({ i, n: l.reduce((a, v) => a + (v > 0 ? 1 : 0), 0) })).filter((p) => p.n > 0);
    const total = this.regions.width * this.regions.height;
    return painted.length === 0
      ? 'No region painted: every style applies everywhere.'
      : `Regions: ${painted.map((p) => `style ${p.i + 1} on ${Math.round((100 * p.n) / total)} %`).join(', ')}; unpainted parts take every style.`;
  }

  /** The layers drawn in their styles' colours, half transparent (unpainted parts clear). */
  private draw(): void {
    const { width, height, layers } = this.regions;
    if (width * height <= 1) return;
    const img = new ImageData(width, height);
    const colours = layers.map((_, i) => styleRgb(i));
    for (let p = 0; p < width * height; p++) {
      let best = -1;
      let level = 0;
      layers.forEach((l, s) => {
        if (l[p] > level) [best, level] = [s, l[p]];
      });
      if (best < 0) continue;
      img.data.set(colours[best], 4 * p);
      img.data[4 * p + 3] = Math.round(level * 0.55);
    }
    this.overlay.getContext('2d')!.putImageData(img, 0, 0);
  }

  private buildTools(styles: number): void {
    const t = this.tools;
    t.replaceChildren();
    const brushes = document.createElement('fieldset');
    brushes.innerHTML = '<legend>Brush</legend>';
    for (let i = 0; i < styles; i++) {
      const label = document.createElement('label');
      label.innerHTML = `<input type="radio" name="brush" value="${i}"${i === this.brush ? ' checked' : ''} /><span class="swatch" style="background:${styleColour(i)}"></span>style ${i + 1}`;
      label.querySelector('input')!.addEventListener('change', () => {
        this.brush = i;
      });
      brushes.appendChild(label);
    }
    const size = document.createElement('label');
    size.innerHTML = 'Brush size <input type="range" name="brush-size" min="1" max="30" value="8" />';
    const clear = document.createElement('button');
    clear.type = 'button';
    clear.textContent = 'Clear regions';
    clear.addEventListener('click', () => this.clear());
    const loads = document.createElement('fieldset');
    loads.innerHTML = '<legend>Or load a mask per style (white where it applies)</legend>';
    for (let i = 0; i < styles; i++) {
      const label = document.createElement('label');
      label.innerHTML = `<span class="swatch" style="background:${styleColour(i)}"></span>style ${i + 1} <input type="file" accept="image/*" data-style="${i}" />`;
      label.querySelector('input')!.addEventListener('change', (e) => {
        const file = (e.target as HTMLInputElement).files?.[0];
        if (file) void this.loadMask(i, file);
      });
      loads.appendChild(label);
    }
    t.append(brushes, size, clear, loads);
  }

  private async loadMask(style: number, file: File): Promise<void> {
    try {
      loadLayer(this.regions, style, await decodeMaskFile(file, this.regions.width, this.regions.height));
      this.draw();
      this.onChange(`Mask of style ${style + 1} loaded from ${file.name}. ${this.describe()}`);
    } catch (e) {
      this.onChange(
        `Could not read ${file.name} as a mask image (expected a PNG, JPEG or another image the browser decodes): ${(e as Error).message}`,
      );
    }
  }
}
