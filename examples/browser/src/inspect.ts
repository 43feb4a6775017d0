/**
 * The look inside the method: a clicked result pixel's neighbours and weights, per stage and per
 * style that took part: which style image (exemplar) each neighbour came from, and its pixel.
 */
import { mixAt, type JobGraph } from './graph.js';
import { poolPosition, type LatentGeometry } from './pool-position.js';
import { styleColour } from './palette.js';

const STAGES = [
  { name: 'Stage 1: style from the content graph', cls: 's1', colour: '#d0306a' },
  { name: 'Stage 2: content from the style graph', cls: 's2', colour: '#1769c2' },
];

/** One neighbour of a latent pixel. */
export interface Neighbour {
  /** The style entry whose pool it is in (0 for one pool of every image). */
  style: number;
  /** That style's share at this pixel (1 for one pool). */
  share: number;
  /** The style image it came from (the exemplar). */
  image: number;
  /** Its latent pixel in that exemplar. */
  row: number;
  col: number;
  weight: number;
}

/** The neighbours of the latent pixel under result pixel (x, y): per stage, every style's k. */
export function neighboursAt(
  result: { latent: LatentGeometry; graph: JobGraph },
  x: number,
  y: number,
): { row: number; col: number; stages: Neighbour[][] } {
  const { latent, graph } = result;
  const row = Math.min(latent.height - 1, Math.floor(y / latent.scale));
  const col = Math.min(latent.width - 1, Math.floor(x / latent.scale));
  const pixel = row * latent.width + col;
  const pixels = latent.height * latent.width;
  const stages = graph.styles[0]?.stages.length ?? 0;
  return {
    row,
    col,
    stages: Array.from({ length: stages }, (_, s) =>
      graph.styles.flatMap((g, i) => {
        const { indices, weights } = g.stages[s];
        const share = mixAt(graph, i, pixel, pixels);
        return Array.from({ length: latent.k }, (_, t) => {
          const at = poolPosition(indices[pixel * latent.k + t], latent);
          return { style: g.style, share, image: g.images[at.exemplar], row: at.row, col: at.col, weight: weights[pixel * latent.k + t] };
        });
      }),
    ),
  };
}

/** Fills the stage tables and draws the neighbours on the exemplar canvases (after `redraw`). */
export function showNeighbours(
  result: { latent: LatentGeometry; graph: JobGraph },
  x: number,
  y: number,
  exemplarCanvases: HTMLCanvasElement[],
  redraw: () => void,
  tables: HTMLTableElement[],
): void {
  const n = neighboursAt(result, x, y);
  const pooled = result.graph.mix === null;
  redraw();
  const s = result.latent.scale;
  n.stages.forEach((list, i) => {
    const st = STAGES[i];
    const t = tables[i];
    t.innerHTML = `<caption class="${st.cls}">${st.name}</caption><tr><th scope="col">#</th><th scope="col">style</th><th scope="col">exemplar</th><th scope="col">pixel (x, y)</th><th scope="col">weight</th></tr>`;
    list.forEach((nb, j) => {
      const tr = document.createElement('tr');
      const style = pooled ? 'one pool' : `${nb.style + 1} (share ${nb.share.toFixed(2)})`;
      tr.innerHTML = `<td>${j + 1}</td><td>${style}</td><td><span class="swatch" style="background:${styleColour(nb.image)}"></span>image ${nb.image + 1}</td><td>${nb.col * s + s / 2}, ${nb.row * s + s / 2}</td><td>${nb.weight.toFixed(3)}</td>`;
      t.appendChild(tr);
      const canvas = exemplarCanvases[nb.image];
      if (!canvas) return;
      const ctx = canvas.getContext('2d')!;
      ctx.strokeStyle = st.colour;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc((nb.col + 0.5) * s, (nb.row + 0.5) * s, 3 + 14 * Math.sqrt(nb.weight * nb.share), 0, 2 * Math.PI);
      ctx.stroke();
    });
  });
}
