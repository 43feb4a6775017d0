/** The look inside the method: a clicked result pixel's neighbours and weights, per stage. */
import type { JobResult } from './job.js';
import { poolPosition } from './pool-position.js';

const STAGES = [
  { name: 'Stage 1: style from the content graph', cls: 's1', colour: '#d0306a' },
  { name: 'Stage 2: content from the style graph', cls: 's2', colour: '#1769c2' },
];

/** The neighbours of the latent pixel under result pixel (x, y), for both stages. */
export function neighboursAt(result: JobResult, x: number, y: number) {
  const { latent } = result;
  const row = Math.min(latent.height - 1, Math.floor(y / latent.scale));
  const col = Math.min(latent.width - 1, Math.floor(x / latent.scale));
  const at = (row * latent.width + col) * latent.k;
  return {
    row,
    col,
    stages: result.attention.map((s) =>
      Array.from({ length: latent.k }, (_, t) => ({ ...poolPosition(s.indices[at + t], latent), weight: s.weights[at + t] })),
    ),
  };
}

/** Fills the two tables and draws the neighbours on the exemplar canvases (over `base` copies). */
export function showNeighbours(
  result: JobResult,
  x: number,
  y: number,
  exemplarCanvases: HTMLCanvasElement[],
  redraw: () => void,
  tables: HTMLTableElement[],
): void {
  const n = neighboursAt(result, x, y);
  redraw();
  const s = result.latent.scale;
  n.stages.forEach((list, i) => {
    const st = STAGES[i];
    const t = tables[i];
    t.innerHTML = `<caption class="${st.cls}">${st.name}</caption><tr><th>#</th><th>exemplar</th><th>pixel (x, y)</th><th>weight</th></tr>`;
    list.forEach((nb, j) => {
      const tr = document.createElement('tr');
      tr.innerHTML = `<td>${j + 1}</td><td>${nb.exemplar + 1}</td><td>${nb.col * s + s / 2}, ${nb.row * s + s / 2}</td><td>${nb.weight.toFixed(3)}</td>`;
      t.appendChild(tr);
      const ctx = exemplarCanvases[nb.exemplar].getContext('2d')!;
      ctx.strokeStyle = st.colour;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc((nb.col + 0.5) * s, (nb.row + 0.5) * s, 3 + 14 * Math.sqrt(nb.weight), 0, 2 * Math.PI);
      ctx.stroke();
    });
  });
}
