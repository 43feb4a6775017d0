import { initBackend } from '@tpfr/core';

await initBackend('webgpu');
