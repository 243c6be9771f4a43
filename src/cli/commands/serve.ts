/** `tw serve --model DIR [--port N]`: a learned model (or any backend) as an OpenAI-compatible server (src/serve). */
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { backendName, getBackend } from '../../backends/registry.js';
import { TwError } from '../../core/errors.js';
import { intFlag } from '../options.js';
import { startServe } from '../../serve/server.js';

interface ServeFlags {
  model?: string;
  backend: string;
  host: string;
  port: string;
  modelName?: string;
  tokenEnv?: string;
  maxSessions: string;
  maxConcurrent: string;
  maxBatch?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a learned model (or any backend) as an OpenAI-compatible server: /v1/models, /v1/chat/completions, /v1/completions')
    .option('--model <dir>', 'learned model folder (default: TW_MODEL or models/terminal-state)')
    .option('--backend <name>', 'the backend to serve (see `tw backends`)', 'learned')
    .option('--host <host>', 'address to listen on; anything but loopback needs --token-env', '127.0.0.1')
    .option('--port <n>', 'port (0: any free one)', '8000')
    .option('--model-name <id>', 'the model id clients name (default: the model folder name, or the backend name)')
    .option('--token-env <NAME>', 'environment variable holding the bearer token every request must carry')
    .option('--max-sessions <n>', 'idle sessions kept for conversations that continue (each learned one holds its KV cache)', '64')
    .option('--max-concurrent <n>', 'requests answered at once; more get 429', '256')
    .option('--max-batch <n>', 'learned: sequences decoded in one batch')
    .action(async (f: ServeFlags) => {
      const backend = await getBackend(backendName(f.backend));
      const baseOptions: Record<string, unknown> = {};
      if (f.model !== undefined) {
        if (f.backend !== 'learned') throw new TwError('--model is for the learned backend', 'drop --model, or use --backend learned');
        baseOptions.model = resolve(f.model);
      }
      if (f.maxBatch !== undefined) baseOptions.maxBatch = intFlag('--max-batch', f.maxBatch, 1);
      let token: string | undefined;
      if (f.tokenEnv !== undefined) {
        token = process.env[f.tokenEnv];
        if (!token)
          throw new TwError(`--token-env ${f.tokenEnv}: that environment variable is not set or empty`, `export ${f.tokenEnv}=<a long random string>`);
      }
      const modelDir = typeof baseOptions.model === 'string' ? baseOptions.model : f.backend === 'learned' ? process.env.TW_MODEL : undefined;
      const modelId = f.modelName ?? (modelDir ? basename(modelDir) : f.backend === 'learned' ? 'terminal-state' : f.backend);
      const s = await startServe({
        backend,
        backendName: f.backend,
        modelId,
        baseOptions,
        host: f.host,
        port: intFlag('--port', f.port, 0),
        maxSessions: intFlag('--max-sessions', f.maxSessions, 0),
        maxConcurrent: intFlag('--max-concurrent', f.maxConcurrent, 1),
        ...(token !== undefined ? { token } : {}),
        ...(modelDir ? { info: { model_dir: modelDir } } : {}),
      });
      process.stdout.write(
        `tw serve: ${f.backend} model "${modelId}" at ${s.url} (log-probabilities: ${s.server.o.logprobs ? 'yes' : 'no'}${token ? '; bearer token required' : ''})\n`,
      );
      process.stdout.write(
        `  try: curl ${s.url}/chat/completions -H 'content-type: application/json' -d '{"model":"${modelId}","messages":[{"role":"user","content":"ls"}]}'\n`,
      );
      await new Promise<void>((done) => {
        const stop = (): void => {
          process.stderr.write('tw serve: stopping\n');
          void s.close().then(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
