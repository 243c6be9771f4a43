/**
 * Every command family, one folder each, registered here once: adding a family = one folder
 * (index.ts: its project-session moves; scratch.ts: its scratch-session moves, if any) + one entry
 * in ALL_FAMILIES. The family names (FAMILIES, FamilyName) follow from this list. The order is part
 * of the generator: project sessions draw families, and scratch sessions draw moves, in this order.
 */
import { archive } from './archive/index.js';
import { edit } from './edit/index.js';
import { env } from './env/index.js';
import { errors } from './errors/index.js';
import { git } from './git/index.js';
import { inspect } from './inspect/index.js';
import { navigation } from './navigation/index.js';
import { operators } from './operators/index.js';
import { python } from './python/index.js';
import { text } from './text/index.js';

export const ALL_FAMILIES = [navigation, edit, inspect, text, env, operators, errors, python, git, archive] as const;
export type FamilyName = (typeof ALL_FAMILIES)[number]['name'];
export const FAMILIES: readonly FamilyName[] = ALL_FAMILIES.map((f) => f.name);
