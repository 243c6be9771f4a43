/**
 * Run a Harbor / Terminal-Bench task directory in the sandbox:
 *
 *   <task>/instruction.md, <task>/environment/Dockerfile, <task>/tests/test.sh, <task>/solution/solve.sh
 *
 * The environment comes from the task's local OCI / `docker save` tarball when one is given (no
 * registry is reached), else from the nearest manifest to its Dockerfile (src/sandbox/image/
 * dockerfile.ts lists what is not covered). Then the agent acts (`oracle`: solution/solve.sh;
 * `null`: nothing, the floor), tests/ is copied to /tests only after the agent is done (as Harbor
 * does, so the agent cannot read the tests), `bash /tests/test.sh` runs, and the reward is read
 * from /logs/verifier/reward.txt (a missing or unreadable reward file is reward 0, with the reason).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { realBackend } from '../../backends/real/index.js';
import { RealSession } from '../../backends/real/session.js';
import { TwError } from '../../core/errors.js';
import type { Turn } from '../../core/terminal.js';
import { imagesDir } from '../../sandbox/image/build.js';
import { manifestFromDockerfile } from '../../sandbox/image/dockerfile.js';

export const HARBOR_AGENTS = ['oracle', 'null'] as const;
export type HarborAgent = (typeof HARBOR_AGENTS)[number];

export interface HarborRunOptions {
  agent: HarborAgent;
  /** An OCI / docker-save tarball or a manifest; default: the nearest manifest to the Dockerfile. */
  image?: string;
  seed?: number;
  timeoutMs?: number;
}

export interface HarborRunResult {
  task: string;
  agent: HarborAgent;
  reward: number;
  /** Why the reward is 0 without the tests having said so (no reward file, session died). */
  error?: string;
  image: { id: string; version: string };
  warnings: string[];
  turns: Turn[];
}

function requireFile(dir: string, rel: string): string {
  const p = join(dir, rel);
  if (!existsSync(p))
    throw new TwError(
      `${dir} is not a Harbor task: ${rel} is missing`,
      'a task directory holds instruction.md, environment/Dockerfile, tests/test.sh and (for the oracle) solution/solve.sh',
    );
  return p;
}

export async function runHarborTask(taskDir: string, o: HarborRunOptions): Promise<HarborRunResult> {
  const dir = resolve(taskDir);
  requireFile(dir, 'instruction.md');
  requireFile(dir, 'tests/test.sh');
  if (o.agent === 'oracle') requireFile(dir, 'solution/solve.sh');
  const id =
    basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '') || 'task';
  let image = o.image;
  const warnings: string[] = [];
  if (image === undefined) {
    const d = manifestFromDockerfile(requireFile(dir, 'environment/Dockerfile'), id);
    warnings.push(...d.warnings);
    mkdirSync(imagesDir(), { recursive: true });
    image = join(imagesDir(), `${id}.dockerfile.json`);
    writeFileSync(image, JSON.stringify(d.manifest, null, 2) + '\n');
  }
  const term = await realBackend.start({ seed: o.seed ?? 0, deterministic: true, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), options: { image } });
  if (!(term instanceof RealSession)) throw new TwError('the Harbor runner needs a real sandbox session', 'run it on the real backend');
  const turns: Turn[] = [];
  let error: string | undefined;
  let reward = 0;
  try {
    const run = async (cmd: string): Promise<Turn> => {
      const t = await term.run(cmd);
      turns.push(t);
      return t;
    };
    if (o.agent === 'oracle') {
      cpSync(join(dir, 'solution'), term.hostPath('/solution'), { recursive: true });
      await run('bash /solution/solve.sh');
    }
    if (term.dead) throw new TwError(`the session died during the agent's turn: ${term.deadReason ?? 'unknown'}`, 'see the trajectory');
    cpSync(join(dir, 'tests'), term.hostPath('/tests'), { recursive: true });
    await run('mkdir -p /logs/verifier; bash /tests/test.sh');
    const rf = term.hostPath('/logs/verifier/reward.txt');
    if (!existsSync(rf)) error = 'tests/test.sh wrote no /logs/verifier/reward.txt';
    else {
      const v = Number(readFileSync(rf, 'utf8').trim());
      if (Number.isFinite(v)) reward = v;
      else error = `reward.txt does not hold a number: ${JSON.stringify(readFileSync(rf, 'utf8').slice(0, 80))}`;
    }
  } catch (e) {
    error = (e as Error).message;
  } finally {
    await term.close();
  }
  const info = term.info.image;
  const img =
    typeof info === 'object' && info !== null && 'id' in info && 'version' in info
      ? { id: String(info.id), version: String(info.version) }
      : { id: '?', version: '?' };
  const r: HarborRunResult = { task: id, agent: o.agent, reward, image: img, warnings, turns };
  if (error !== undefined) r.error = error;
  return r;
}
