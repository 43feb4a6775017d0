/**
 * The page's controls of a stylization: strength (a slider that restyles the result on screen),
 * how the styles combine (one pool, by weight, by region), a weight per style image, and the
 * colours kept.
 */
import type { ColorPreservation } from '@tpfr/models';
import { styleColour } from './palette.js';
import type { JobControls } from './job.js';

/** How the style images combine. */
export type MixMode = 'pool' | 'weights' | 'regions';

export class ControlPanel {
  private readonly strength: HTMLInputElement;
  private readonly strengthOut: HTMLOutputElement;
  private readonly mode: HTMLSelectElement;
  private readonly weights: HTMLFieldSetElement;
  private readonly colour: HTMLSelectElement;

  /**
   * @param root the element holding `#strength`, `#strength-value`, `#mix-mode`, `#weights` and `#colour`.
   * @param on `strength` while the slider moves; `mode` when the way styles combine changes.
   */
  constructor(root: HTMLElement, on: { strength: (s: number) => void; mode: (m: MixMode) => void }) {
    const q = <T extends Element>(sel: string) => root.querySelector<T & Element>(sel)!;
    this.strength = q<HTMLInputElement>('#strength');
    this.strengthOut = q<HTMLOutputElement>('#strength-value');
    this.mode = q<HTMLSelectElement>('#mix-mode');
    this.weights = q<HTMLFieldSetElement>('#weights');
    this.colour = q<HTMLSelectElement>('#colour');
    this.strength.addEventListener('input', () => {
      this.strengthOut.value = Number(this.strength.value).toFixed(2);
      on.strength(Number(this.strength.value));
    });
    this.mode.addEventListener('change', () => {
      this.weights.disabled = this.mode.value === 'pool';
      on.mode(this.mode.value as MixMode);
    });
    this.weights.disabled = this.mode.value === 'pool';
  }

  /** One weight input per style image (kept values where the count is unchanged). */
  setStyles(n: number): void {
    const old = this.weightInputs().map((i) => i.value);
    this.weights.replaceChildren();
    const legend = document.createElement('legend');
    legend.textContent = 'Style weights';
    this.weights.appendChild(legend);
    for (let i = 0; i < n; i++) {
      const label = document.createElement('label');
      label.innerHTML = `<span class="swatch" style="background:${styleColour(i)}"></span>style ${i + 1} <input type="number" min="0" step="0.1" value="${old.length === n ? old[i] : '1'}" />`;
      this.weights.appendChild(label);
    }
  }

  get mixMode(): MixMode {
    return this.mode.value as MixMode;
  }

  get strengthValue(): number {
    return Number(this.strength.value);
  }

  /**
   * The controls for a stylization (masks aside: the painter gives them), or an error message
   * naming what is wrong.
   */
  read(): { controls: JobControls } | { error: string } {
    const controls: JobControls = { strength: this.strengthValue };
    const colour = this.colour.value;
    if (colour) controls.preserveColor = colour as ColorPreservation;
    if (this.mixMode !== 'pool') {
      const w = this.weightInputs().map((i) => i.value.trim());
      const bad = w.findIndex((v) => v === '' || !Number.isFinite(Number(v)) || Number(v) < 0);
      if (bad >= 0) return { error: `style ${bad + 1}'s weight: expected a number ≥ 0, received '${w[bad]}'` };
      const weights = w.map(Number);
      if (weights.every((v) => v === 0)) return { error: 'style weights: expected at least one above 0, received all 0' };
      controls.styleWeights = weights;
    }
    return { controls };
  }

  private weightInputs(): HTMLInputElement[] {
    return Array.from(this.weights.querySelectorAll('input'));
  }
}
