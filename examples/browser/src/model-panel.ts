/**
 * The page's model panel: which model runs (the page's own, or one the visitor gave: where it came
 * from, ngf, parameters, import time and memory), a drop zone and a file picker for the authors'
 * checkpoint or a saved model folder's files, and a button to forget a given model.
 */
import { describeModel, type ModelInfo } from './model-info.js';
import type { FromWorker, ToWorker } from './protocol.js';

/** What the panel needs from the page. */
export interface ModelDeps {
  send(m: Extract<ToWorker, { type: 'import' | 'forget' }>): Promise<FromWorker>;
  nextId(): number;
  /** Why a model cannot be changed now (a camera running), or null. */
  busy(): string | null;
  /** A new model runs. */
  changed(info: ModelInfo): void;
  /** A file could not be used: the page goes on with its model. */
  refused(message: string): void;
}

type Els = { drop: HTMLElement; input: HTMLInputElement; forget: HTMLButtonElement; info: HTMLElement; status: HTMLElement };

export class ModelPanel {
  private current: ModelInfo | null = null;

  constructor(
    private readonly els: Els,
    private readonly deps: ModelDeps,
  ) {
    els.input.addEventListener('change', () => {
      void this.give(Array.from(els.input.files ?? []));
      els.input.value = '';
    });
    els.drop.addEventListener('dragover', (e) => {
      e.preventDefault();
      els.drop.classList.add('over');
    });
    els.drop.addEventListener('dragleave', () => els.drop.classList.remove('over'));
    els.drop.addEventListener('drop', (e) => {
      e.preventDefault();
      els.drop.classList.remove('over');
      void this.give(Array.from(e.dataTransfer?.files ?? []));
    });
    els.forget.addEventListener('click', () => void this.forget());
  }

  /** Shows the model that runs (and a note about what did not work besides). */
  show(info: ModelInfo, note = ''): void {
    this.current = info;
    this.els.info.textContent = describeModel(info);
    this.els.forget.hidden = info.source === 'served';
    if (note) this.els.status.textContent = note;
  }

  /** Imports the files given (a checkpoint, or a model folder's files). */
  async give(files: File[]): Promise<void> {
    if (files.length === 0) return;
    const busy = this.deps.busy();
    if (busy) return this.refuse(busy);
    const names = files.map((f) => f.name).join(', ');
    this.els.status.textContent = `Reading and importing ${names}…`;
    try {
      const m = await this.deps.send({ type: 'import', id: this.deps.nextId(), files });
      if (m.type !== 'model') throw new Error(`expected the imported model, received ${m.type}`);
      this.show(m.info, m.note);
      this.els.status.textContent = m.note ?? `Imported ${names}.`;
      this.deps.changed(m.info);
    } catch (e) {
      const detail = (e as Error).message;
      const still = this.current ? ` The page goes on with its model (${this.current.name}).` : '';
      const message = `could not use ${detail.startsWith(names) ? detail : `${names}: ${detail}`}.${still}`;
      this.refuse(message);
    }
  }

  /** Says why a model could not be used here, and tells the page. */
  private refuse(message: string): void {
    this.els.status.textContent = `Error: ${message}`;
    this.deps.refused(message);
  }

  /** Forgets the given model: the page's own runs again. */
  async forget(): Promise<void> {
    const busy = this.deps.busy();
    if (busy) return this.refuse(busy);
    try {
      const m = await this.deps.send({ type: 'forget', id: this.deps.nextId() });
      if (m.type !== 'model') throw new Error(`expected the page's model, received ${m.type}`);
      this.show(m.info);
      this.els.status.textContent = 'Forgotten: this browser keeps no model of yours; the page runs its own.';
      this.deps.changed(m.info);
    } catch (e) {
      this.refuse(`could not forget the model: ${(e as Error).message}`);
    }
  }
}
