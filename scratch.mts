import { realBackend } from './src/backends/real/index.js';
import { RealSession } from './src/backends/real/session.js';
import { ShellMemory } from './src/backends/real/shellmem.js';
import { findDescendant } from './src/backends/real/proc.js';
const t = await realBackend.start({});
if (!(t instanceof RealSession)) throw new Error('x');
await t.run("cd /tmp && mkdir -p $'a\\x1fb' && cd $'a\\x1fb'; (exit 42)");
const pid = t.hostPids().find((p) => findDescendant(p, 'bash') === null && true);
for (const p of t.hostPids()) { const m = ShellMemory.open(p); if (m) console.log(p, m.read()); }
await t.close();
