/**
 * Write a task as a Harbor task directory, so it can run under Harbor / Terminal-Bench tooling:
 *
 *   <id>/instruction.md          the instruction
 *   <id>/task.toml               timeouts and resources (no internet)
 *   <id>/environment/Dockerfile  Debian bookworm with the tools the tasks use, then setup.sh
 *   <id>/environment/setup.sh    the task's setup commands
 *   <id>/tests/test.sh           runs verify.sh, writes 1 or 0 to /logs/verifier/reward.txt
 *   <id>/tests/verify.sh         the task's verifier
 *   <id>/solution/solve.sh       the commands a successful expert rollout typed (Harbor's oracle)
 *
 * Written from the documented layout (shared/notes/formats.md); not run under Harbor here.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Session } from '../../session/format.js';
import type { Task } from './format.js';

const DOCKERFILE = `FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \\
      bash coreutils findutils grep sed gawk diffutils python3 git file tar gzip tree procps \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /root
COPY setup.sh /tmp/tw-setup.sh
RUN bash /tmp/tw-setup.sh && rm /tmp/tw-setup.sh
`;

const TEST_SH = `#!/bin/bash
mkdir -p /logs/verifier
if bash /tests/verify.sh; then echo 1 > /logs/verifier/reward.txt; else echo 0 > /logs/verifier/reward.txt; fi
`;

export function taskToml(t: Task): string {
  return [
    'version = "1.0"',
    '',
    '[metadata]',
    'author_name = "TerminalWorld"',
    'difficulty = "easy"',
    `category = "${t.family}"`,
    `tags = ["terminalworld", "${t.family}"]`,
    '',
    '[verifier]',
    'timeout_sec = 60.0',
    '',
    '[agent]',
    'timeout_sec = 600.0',
    '',
    '[environment]',
    'build_timeout_sec = 600.0',
    'cpus = 1',
    'memory_mb = 2048',
    'storage_mb = 4096',
    'allow_internet = false',
    '',
  ].join('\n');
}

/** The solution script: the rollout's commands in order, run by one bash like the session was. */
export function solveScript(rollout: Session): string {
  return ['#!/bin/bash', 'cd /root', ...rollout.turns.map((t) => t.cmd), ''].join('\n');
}

export function writeHarborTask(root: string, t: Task, rollout: Session | null): string {
  const dir = join(root, t.id);
  for (const sub of ['environment', 'tests', 'solution']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'instruction.md'), t.instruction + '\n');
  writeFileSync(join(dir, 'task.toml'), taskToml(t));
  writeFileSync(join(dir, 'environment', 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(dir, 'environment', 'setup.sh'), ['#!/bin/bash', 'set -e', 'cd /root', ...t.setup, ''].join('\n'));
  writeFileSync(join(dir, 'tests', 'test.sh'), TEST_SH, { mode: 0o755 });
  writeFileSync(join(dir, 'tests', 'verify.sh'), t.verifier, { mode: 0o755 });
  if (rollout) writeFileSync(join(dir, 'solution', 'solve.sh'), solveScript(rollout), { mode: 0o755 });
  return dir;
}
