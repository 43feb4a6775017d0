import { initBackend } from '@tpfr/core';

// #region doc
await initBackend('tensorflow'); // or 'auto', which tries it first
// #endregion
