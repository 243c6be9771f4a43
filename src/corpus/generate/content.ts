/**
 * Realistic names and file contents for generated sessions: project trees, python modules,
 * configs, logs, CSV and prose. Every draw goes through the seeded Rng; sizes stay small so a
 * `cat` of any generated file fits the 1-2 KB-per-turn budget.
 */
import type { Rng } from '../../core/rng.js';

export const PROJECTS = [
  'inventory-api',
  'billing',
  'webshop',
  'weather-station',
  'ml-pipeline',
  'chat-bot',
  'etl-jobs',
  'blog-engine',
  'metrics-agent',
  'auth-service',
  'photo-sorter',
  'invoice-gen',
  'scheduler',
  'log-parser',
  'recipe-box',
  'todo-app',
  'payroll',
  'geo-tools',
  'backup-scripts',
  'survey-analysis',
] as const;

export const DIRS = ['src', 'lib', 'tests', 'scripts', 'config', 'data', 'docs', 'logs', 'utils', 'app', 'build', 'notes', 'tmp', 'reports'] as const;

export const MODULES = [
  'utils',
  'models',
  'parser',
  'config',
  'cli',
  'handlers',
  'storage',
  'report',
  'metrics',
  'client',
  'tasks',
  'helpers',
  'validators',
  'loader',
  'cache',
  'formatter',
  'scheduler',
  'auth',
  'inventory',
  'pricing',
] as const;

export const WORDS = [
  'alpha',
  'amber',
  'apple',
  'atlas',
  'berry',
  'cedar',
  'cobalt',
  'delta',
  'ember',
  'falcon',
  'garnet',
  'harbor',
  'indigo',
  'juniper',
  'kepler',
  'lemon',
  'maple',
  'nova',
  'olive',
  'pepper',
  'quartz',
  'raven',
  'sierra',
  'tango',
  'umber',
  'violet',
  'walnut',
  'xenon',
  'yarrow',
  'zephyr',
] as const;

export const FIRST_NAMES = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'nina',
  'oscar',
  'peggy',
  'rupert',
  'sybil',
  'trent',
  'ursula',
  'victor',
  'wendy',
] as const;
export const DEPTS = ['sales', 'eng', 'ops', 'hr', 'finance', 'support'] as const;
export const CITIES = ['Oslo', 'Lima', 'Pune', 'Austin', 'Leeds', 'Porto', 'Kyoto', 'Quito', 'Dakar', 'Perth'] as const;
export const PRODUCTS = ['widget', 'gadget', 'sprocket', 'bolt', 'gear', 'valve', 'lamp', 'cable', 'filter', 'pump'] as const;
export const LEVELS = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'] as const;
export const SERVICES = ['api', 'db', 'worker', 'cache', 'auth', 'scheduler'] as const;
export const LOG_MSGS: Record<string, readonly string[]> = {
  INFO: ['request served', 'job started', 'job finished', 'user logged in', 'config reloaded', 'connection opened', 'cache warmed'],
  DEBUG: ['cache hit', 'cache miss', 'retrying request', 'parsed payload', 'opened file'],
  WARN: ['slow query', 'disk usage high', 'retry limit near', 'deprecated option used'],
  ERROR: ['connection refused', 'timeout after 30s', 'permission denied', 'invalid token', 'disk full', 'out of memory'],
};
const SENTENCES = [
  'This project collects small tools used by the team.',
  'Run the tests before opening a pull request.',
  'The service reads its settings from config/settings.ini.',
  'Logs are rotated every night and kept for a week.',
  'Data files use comma separated values with a header row.',
  'Deployments happen on Tuesdays and Thursdays.',
  'Each module has a short docstring explaining its purpose.',
  'Please keep functions short and well named.',
  'The cache is cleared when the configuration changes.',
  'Contact the on-call engineer if the nightly job fails.',
  'Reports are written to the reports folder as CSV.',
  'All timestamps are stored in UTC.',
];

export type ContentKind = 'py' | 'csv' | 'log' | 'ini' | 'json' | 'yaml' | 'md' | 'txt' | 'sh' | 'env';

export interface Content {
  kind: ContentKind;
  name: string;
  lines: string[];
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

export function pythonModule(r: Rng, name: string): string[] {
  const fn = r.pick(['total', 'average', 'normalize', 'parse_line', 'clean_name', 'scale', 'count_words', 'apply_discount']);
  const bodies: Record<string, string[]> = {
    total: ['def total(values):', '    return sum(values)'],
    average: ['def average(values):', '    if not values:', '        return 0.0', '    return sum(values) / len(values)'],
    normalize: ['def normalize(values):', '    top = max(values)', '    return [v / top for v in values]'],
    parse_line: ['def parse_line(line):', "    key, _, value = line.partition('=')", '    return key.strip(), value.strip()'],
    clean_name: ['def clean_name(name):', "    return name.strip().lower().replace(' ', '_')"],
    scale: ['def scale(values, factor=2):', '    return [v * factor for v in values]'],
    count_words: ['def count_words(text):', '    return len(text.split())'],
    apply_discount: ['def apply_discount(price, pct):', '    return round(price * (1 - pct / 100), 2)'],
  };
  const nums = Array.from({ length: r.int(3, 6) }, () => r.int(1, 99));
  const calls: Record<string, string> = {
    total: `print(total([${nums.join(', ')}]))`,
    average: `print(average([${nums.join(', ')}]))`,
    normalize: `print(normalize([${nums.join(', ')}]))`,
    parse_line: `print(parse_line('${r.pick(WORDS)} = ${r.int(1, 500)}'))`,
    clean_name: `print(clean_name('  ${r.pick(FIRST_NAMES)} ${r.pick(WORDS)} '))`,
    scale: `print(scale([${nums.join(', ')}], ${r.int(2, 5)}))`,
    count_words: `print(count_words('${r.pick(SENTENCES).replace(/'/g, '')}'))`,
    apply_discount: `print(apply_discount(${r.int(10, 300)}, ${r.pick([5, 10, 15, 20, 25])}))`,
  };
  return [
    `"""${name}: ${r.pick(['helpers for the report job', 'small numeric helpers', 'text utilities', 'pricing rules'])}."""`,
    '',
    ...(bodies[fn] ?? []),
    '',
    '',
    "if __name__ == '__main__':",
    `    ${calls[fn] ?? 'pass'}`,
  ];
}

export function csvRows(r: Rng, n: number): string[] {
  const header = r.pick(['name,dept,salary', 'city,temp,rain', 'product,qty,price']);
  const rows: string[] = [header];
  for (let i = 0; i < n; i++) {
    if (header.startsWith('name')) rows.push(`${r.pick(FIRST_NAMES)},${r.pick(DEPTS)},${r.int(30, 120) * 1000}`);
    else if (header.startsWith('city')) rows.push(`${r.pick(CITIES)},${r.int(-5, 35)},${r.int(0, 40)}`);
    else rows.push(`${r.pick(PRODUCTS)},${r.int(1, 50)},${r.int(1, 99)}.${pad2(r.int(0, 99))}`);
  }
  return rows;
}

export function logLines(r: Rng, n: number): string[] {
  const out: string[] = [];
  let h = r.int(0, 20);
  let m = r.int(0, 59);
  for (let i = 0; i < n; i++) {
    m += r.int(0, 7);
    if (m >= 60) {
      h = (h + 1) % 24;
      m -= 60;
    }
    const lvl = r.pick(LEVELS);
    out.push(`2026-03-${pad2(r.int(1, 28))} ${pad2(h)}:${pad2(m)}:${pad2(r.int(0, 59))} ${lvl} [${r.pick(SERVICES)}] ${r.pick(LOG_MSGS[lvl] ?? ['ok'])}`);
  }
  return out;
}

export function iniLines(r: Rng): string[] {
  return [
    '[server]',
    `host = ${r.pick(['0.0.0.0', '127.0.0.1', 'localhost'])}`,
    `port = ${r.pick([8000, 8080, 5000, 3000, 9090])}`,
    `workers = ${r.int(1, 8)}`,
    '',
    '[database]',
    `name = ${r.pick(WORDS)}_db`,
    `user = ${r.pick(FIRST_NAMES)}`,
    `pool_size = ${r.int(2, 20)}`,
    '',
    '[logging]',
    `level = ${r.pick(['info', 'debug', 'warning'])}`,
  ];
}

export function jsonLines(r: Rng): string[] {
  return [
    '{',
    `  "name": "${r.pick(PROJECTS)}",`,
    `  "version": "${r.int(0, 3)}.${r.int(0, 12)}.${r.int(0, 9)}",`,
    `  "debug": ${r.pick(['true', 'false'])},`,
    `  "retries": ${r.int(1, 5)},`,
    `  "owner": "${r.pick(FIRST_NAMES)}"`,
    '}',
  ];
}

export function yamlLines(r: Rng): string[] {
  return [
    `service: ${r.pick(SERVICES)}`,
    `replicas: ${r.int(1, 6)}`,
    'image:',
    `  repo: registry.local/${r.pick(PROJECTS)}`,
    `  tag: v${r.int(1, 9)}.${r.int(0, 20)}`,
    'env:',
    `  - LOG_LEVEL=${r.pick(['info', 'debug'])}`,
    `  - REGION=${r.pick(['eu-west', 'us-east', 'ap-south'])}`,
  ];
}

export function proseLines(r: Rng, title: string): string[] {
  const n = r.int(2, 5);
  const picked = r.shuffle([...SENTENCES]).slice(0, n);
  return [`# ${title}`, '', ...picked];
}

export function shellScript(r: Rng): string[] {
  const variant = r.int(0, 2);
  if (variant === 0) return ['#!/bin/bash', `echo "deploying ${r.pick(PROJECTS)}"`, `for i in 1 2 ${r.int(3, 5)}; do`, '  echo "step $i"', 'done'];
  if (variant === 1) return ['#!/bin/bash', 'set -e', `name=\${1:-${r.pick(FIRST_NAMES)}}`, 'echo "hello, $name"', 'date +%Y'];
  return ['#!/bin/bash', `count=$(ls | wc -l)`, 'echo "files here: $count"'];
}

export function wordList(r: Rng, n: number): string[] {
  return Array.from({ length: n }, () => r.pick(r.bool(0.5) ? WORDS : FIRST_NAMES));
}

/** A new file of a random kind with a realistic name (no directory). */
export function randomContent(r: Rng, prefer?: ContentKind): Content {
  const kind: ContentKind =
    prefer ??
    r.weighted<ContentKind>([
      ['py', 3],
      ['csv', 2],
      ['log', 2],
      ['ini', 1],
      ['json', 1],
      ['yaml', 1],
      ['md', 1.5],
      ['txt', 2],
      ['sh', 1],
      ['env', 0.5],
    ]);
  switch (kind) {
    case 'py': {
      const m = r.pick(MODULES);
      return { kind, name: `${m}.py`, lines: pythonModule(r, m) };
    }
    case 'csv':
      return { kind, name: `${r.pick(['employees', 'weather', 'orders', 'sales', 'stock', 'data'])}.csv`, lines: csvRows(r, r.int(3, 9)) };
    case 'log':
      return { kind, name: `${r.pick(SERVICES)}${r.pick(['', '.1', '-error', '-access'])}.log`, lines: logLines(r, r.int(4, 12)) };
    case 'ini':
      return { kind, name: r.pick(['settings.ini', 'app.cfg', 'config.ini']), lines: iniLines(r) };
    case 'json':
      return { kind, name: r.pick(['package.json', 'config.json', 'meta.json', 'manifest.json']), lines: jsonLines(r) };
    case 'yaml':
      return { kind, name: r.pick(['deploy.yaml', 'service.yml', 'values.yaml']), lines: yamlLines(r) };
    case 'md':
      return { kind, name: r.pick(['README.md', 'NOTES.md', 'CHANGELOG.md', 'TODO.md']), lines: proseLines(r, r.pick(PROJECTS)) };
    case 'txt':
      return { kind, name: `${r.pick(['names', 'words', 'hosts', 'todo', 'notes', 'list'])}.txt`, lines: wordList(r, r.int(4, 10)) };
    case 'sh':
      return { kind, name: `${r.pick(['deploy', 'build', 'run', 'greet', 'count'])}.sh`, lines: shellScript(r) };
    case 'env':
      return {
        kind,
        name: r.pick(['.env', 'env.sh', 'vars.sh']),
        lines: [
          `export APP_ENV=${r.pick(['dev', 'prod', 'test'])}`,
          `export APP_PORT=${r.pick([8000, 8080, 5000])}`,
          `export APP_OWNER=${r.pick(FIRST_NAMES)}`,
        ],
      };
  }
}

/** Single-quote a string for bash. */
export function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
