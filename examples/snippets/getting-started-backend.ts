import { initBackend } from '@tpfr/core';

const choice = await initBackend(); // 'auto': tfjs-node(-gpu) > WebGPU > wasm > cpu
console.log(choice.backend, '-', choice.reason);
