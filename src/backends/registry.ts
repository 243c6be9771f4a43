/**
 * Every Terminal backend, by name. Adding a backend = one folder under src/backends/, its name in
 * BACKEND_NAMES and one line in REGISTRY (a typo in a name fails to compile). Loaders are lazy so
 * `tw exec --backend null` never loads onnxruntime. A name typed by a user goes through
 * backendName(), which names the choices; a backend of your own is passed as a Backend object
 * where one is taken (e.g. openEnv(spec, backend)).
 */
import { TwError } from '../core/errors.js';
import type { Backend } from '../core/terminal.js';

type Loader = () => Promise<Backend>;

export const BACKEND_NAMES = ['null', 'justbash', 'learned', 'endpoint', 'real'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

const REGISTRY: Record<BackendName, { description: string; load: Loader }> = {
  null: { description: 'empty output, exit 0: the floor every score is read against', load: async () => (await import('./null/index.js')).nullBackend },
  justbash: {
    description: 'just-bash 3.4.2, the TypeScript bash simulator, with terminal state carried across commands',
    load: async () => (await import('./justbash/index.js')).justbashBackend,
  },
  learned: {
    description: 'transformer trained on real sessions that carries the session state (default model: models/terminal-state/)',
    load: async () => (await import('./learned/index.js')).learnedBackend,
  },
  endpoint: {
    description: 'an OpenAI-compatible server (tw serve, vLLM, SGLang, llama.cpp): options --endpoint-url/-model/-style or TW_ENDPOINT_*',
    load: async () => (await import('./endpoint/index.js')).endpointBackend,
  },
  real: {
    description: 'a real bash in a bubblewrap sandbox over a Debian bookworm root tree (the oracle)',
    load: async () => (await import('./real/index.js')).realBackend,
  },
};

export function backendNames(): BackendName[] {
  return [...BACKEND_NAMES];
}

export function backendDescriptions(): { name: string; description: string }[] {
  return BACKEND_NAMES.map((name) => ({ name, description: REGISTRY[name].description }));
}

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/** A backend name given by a user (a flag, a request): checked, an unknown one named with the choices. */
export function backendName(name: string): BackendName {
  if (isBackendName(name)) return name;
  throw new TwError(`unknown backend "${name}"`, `use one of: ${BACKEND_NAMES.join(', ')}`);
}

export async function getBackend(name: BackendName): Promise<Backend> {
  return REGISTRY[name].load();
}
