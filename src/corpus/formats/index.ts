/**
 * The import and export formats by name (one line each). Each format is one folder here holding
 * both directions (reader and writer, where it has both) and its tests; helpers that several
 * formats share sit beside this file (common.ts: rows and skips; screen.ts: terminal screens split
 * per command; messages.ts: chat-message rows and the `[exit N]` framing).
 */
import type { Session } from '../../session/format.js';
import { atifToSessions, sessionToAtif } from './atif/index.js';
import { sessionRow } from './session/index.js';
import { ECHO_TEMPLATE, POLICY_TEMPLATE, WORLDMODEL_TEMPLATE } from './trl/templates.js';
import { policyToSessions, sessionToPolicy } from './trl/index.js';
import { sessionToWorldModel, worldModelToSessions } from './worldmodel/index.js';
import { parseNemotronRow } from './nemotron/index.js';
import { parseSweAgentRow } from './swe-agent/index.js';

export interface ImportFormat {
  description: string;
  parse: (value: unknown, line: number) => Session[];
}

export interface ExportFormat {
  description: string;
  row: (s: Session) => unknown;
  /** A chat template written beside the output (FILE.chat_template.jinja). */
  template?: string;
}

export const IMPORT_FORMATS: Record<string, ImportFormat> = {
  nemotron: { description: 'Nemotron-Terminal-Corpus / OpenThoughts-Agent rows (Terminus-2 actions, screens split per command)', parse: parseNemotronRow },
  openthoughts: { description: 'alias of nemotron', parse: parseNemotronRow },
  atif: { description: 'Harbor ATIF v1.x trajectories (JSON document, array or JSONL)', parse: atifToSessions },
  'swe-agent': { description: 'SWE-agent .traj files, or rows of {turns:[{cmd, output, kind, state}]}', parse: parseSweAgentRow },
  'trl-messages': { description: 'TRL policy messages rows written by `export --format trl-policy|trl-echo`', parse: policyToSessions },
  worldmodel: { description: 'role-swapped world-model rows written by `export --format worldmodel`', parse: worldModelToSessions },
  session: { description: 'TerminalWorld session JSONL (validated)', parse: (v) => sessionRow(v) },
};

export const EXPORT_FORMATS: Record<string, ExportFormat> = {
  'trl-policy': {
    description: 'TRL messages, assistant = commands; chat template with {% generation %} on assistant turns (assistant_only_loss=True)',
    row: sessionToPolicy,
    template: POLICY_TEMPLATE,
  },
  'trl-echo': {
    description: 'TRL messages, same rows; template puts {% generation %} on commands AND outputs (ECHO full-transcript SFT)',
    row: sessionToPolicy,
    template: ECHO_TEMPLATE,
  },
  worldmodel: {
    description: 'role-swapped world-model SFT: user = command, assistant = output + [exit N]',
    row: sessionToWorldModel,
    template: WORLDMODEL_TEMPLATE,
  },
  atif: { description: 'Harbor ATIF v1.6 trajectories, one per line (exact round trip through extra.terminalworld)', row: sessionToAtif },
  session: { description: 'TerminalWorld session JSONL', row: (s) => s },
};
