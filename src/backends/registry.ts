/**
 * Every Terminal backend, by name. Adding a backend = one folder under src/backends/ and
 * one line here. Loaders are lazy so `tw exec --backend null` never loads onnxruntime.
 */
import { TwError } from '../core/errors.js';
import type { Backend } from '../core/terminal.js';

type Loader = () => Promise<Backend>;

const REGISTRY: Record<string, { description: string; load: Loader }> = {
  null: { description: 'empty output, exit 0: the floor every score is read against', load: async () => (await import('./null/index.js')).nullBackend },
  justbash: { description: 'just-bash 3.4.2, the TypeScript bash simulator, with terminal state carried across commands', load: async () => (await import('./justbash/index.js')).justbashBackend },
  learned: { description: 'byte-level transformer trained on real sessions (default model: models/terminal-small/)', load: async () => (await import('./learned/index.js')).learnedBackend },
  endpoint: { description: 'an OpenAI-compatible server (tw serve, vLLM, SGLang, llama.cpp): options --endpoint-url/-model/-style or TW_ENDPOINT_*', load: async () => (await import('./endpoint/index.js')).endpointBackend },
  real: { description: 'a real bash in a bubblewrap sandbox over a Debian bookworm root tree (the oracle)', load: async () => (await import('./real/index.js')).realBackend },
};

export function registerBackend(name: string, description: string, load: Loader): void {
  REGISTRY[name] = { description, load };
}

export function backendNames(): string[] {
  return Object.keys(REGISTRY);
}

export function backendDescriptions(): { name: string; description: string }[] {
  return Object.entries(REGISTRY).map(([name, { description }]) => ({ name, description }));
}

export async function getBackend(name: string): Promise<Backend> {
  const entry = REGISTRY[name];
  if (!entry) {
    throw new TwError(`unknown backend "${name}"`, `use one of: ${backendNames().join(', ')}`);
  }
  return entry.load();
}
