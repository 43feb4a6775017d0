import { initBackend } from '@tpfr/core';

const { backend, reason, attempts } = await initBackend('auto');
console.log(backend, '-', reason);
for (const a of attempts) console.log(a.backend, a.ok ? 'ok' : 'no', a.reason);
