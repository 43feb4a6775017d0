/**
 * The model a visitor gave the page, kept in this browser (IndexedDB) for the next visit: the
 * files as they were dropped (Blobs, which IndexedDB stores without copying them through
 * JavaScript memory), imported again on the next visit. Runs in the worker.
 */
import type { ModelInfo } from './model-info.js';

const DB = 'tpfr-page';
const STORE = 'models';
const KEY = 'current';

/** What is kept: the files and what the page said about them. */
export interface StoredModel {
  files: File[];
  info: ModelInfo;
  savedAt: string;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error(`IndexedDB: could not open '${DB}'`));
  });
}

async function run<T>(mode: IDBTransactionMode, f: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = f(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result as T);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB: the transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB: the transaction was aborted (storage full?)'));
    });
  } finally {
    db.close();
  }
}

/** Keeps `files` as the model of the next visit. */
export async function storeModel(files: File[], info: ModelInfo): Promise<void> {
  const record: StoredModel = { files, info, savedAt: new Date().toISOString() };
  await run('readwrite', (s) => s.put(record, KEY));
}

/** The kept model, or null (none, or no IndexedDB here). */
export async function storedModel(): Promise<StoredModel | null> {
  if (typeof indexedDB === 'undefined') return null;
  return ((await run<StoredModel | undefined>('readonly', (s) => s.get(KEY))) ?? null) as StoredModel | null;
}

/** Forgets the kept model. */
export async function forgetModel(): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  await run('readwrite', (s) => s.delete(KEY));
}
