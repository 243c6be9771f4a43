/** git: init, config, add, commit, status, log, diff, branch. */
import { posix } from 'node:path';
import type { Rng } from '../../../core/rng.js';
import { FIRST_NAMES, WORDS } from '../../generate/content.js';
import type { World } from '../../generate/world.js';
import { type Family, move } from '../types.js';

const MESSAGES = [
  'Initial commit',
  'Add parser module',
  'Fix typo in README',
  'Update config',
  'Add tests',
  'Refactor helpers',
  'Add data files',
  'Bump version',
  'Remove unused code',
  'Add logging',
];

function repoHere(w: World): string | null {
  return w.repoOf(w.cwd);
}

function filesUnder(w: World, repo: string): string[] {
  return [...w.files.keys()].filter((p) => p.startsWith(repo + '/'));
}

export const git: Family<'git'> = {
  name: 'git',
  weight: 6,
  moves: [
    move('init', 4, (w, r: Rng) => {
      if (repoHere(w) || w.cwd === w.home || w.cwd === '/tmp') return null;
      w.gitRepos.add(w.cwd);
      w.staged.set(w.cwd, new Set());
      return r.bool(0.3) ? 'git init -q' : 'git init';
    }),
    move('identity', 4, (w, r) => {
      if (w.gitIdentity || !repoHere(w)) return null;
      w.gitIdentity = true;
      const who = r.pick(FIRST_NAMES);
      return `git config --global user.email "${who}@example.com" && git config --global user.name "${who[0]?.toUpperCase()}${who.slice(1)}"`;
    }),
    move('status', 3, (w, r) => (repoHere(w) ? r.pick(['git status', 'git status --short', 'git status -s']) : null)),
    move('add', 3, (w, r) => {
      const repo = repoHere(w);
      if (!repo) return null;
      const files = filesUnder(w, repo);
      if (files.length === 0) return null;
      const st = w.staged.get(repo) ?? new Set<string>();
      w.staged.set(repo, st);
      w.next = { family: 'git', p: 0.5, run: () => (repoHere(w) === repo ? `git commit -m "${r.pick(MESSAGES)}"` : null) };
      if (r.bool(0.6)) {
        for (const f of files) st.add(f);
        return r.pick(['git add .', 'git add -A']);
      }
      const f = r.pick(files);
      st.add(f);
      return `git add ${w.rel(f)}`;
    }),
    move('commit', 2.5, (w, r) => {
      const repo = repoHere(w);
      if (!repo) return null;
      const st = w.staged.get(repo);
      const msg = r.pick(MESSAGES);
      if (st) st.clear();
      w.next = { family: 'git', p: 0.4, run: () => (repoHere(w) === repo ? r.pick(['git log --oneline', 'git status', 'git log -1 --stat']) : null) };
      return r.bool(0.2) ? `git commit -am "${msg}"` : `git commit -m "${msg}"`;
    }),
    move('log', 2, (w, r) =>
      repoHere(w)
        ? r.pick(['git log --oneline', 'git log --oneline | head -n 5', 'git log -1 --format=%s', 'git log --stat | head -n 15', 'git shortlog -s'])
        : null,
    ),
    move('diff', 2, (w, r) => (repoHere(w) ? r.pick(['git diff', 'git diff --stat', 'git diff --cached', 'git diff HEAD --name-only']) : null)),
    move('branch', 1, (w, r) =>
      repoHere(w) ? r.pick(['git branch', `git checkout -b feature/${r.pick(WORDS)}`, 'git branch -a', `git switch -c fix/${r.pick(WORDS)}`]) : null,
    ),
    move('file-history', 0.8, (w, r) => {
      const repo = repoHere(w);
      if (!repo) return null;
      const f = w.textFile(r, ['txt', 'md', 'py', 'ini']);
      if (!f?.path.startsWith(repo + '/') || !f.lines) return null;
      return r.pick([`git diff ${w.rel(f.path)}`, `git log --oneline -- ${w.rel(f.path)}`, `git rm --cached -q ${w.rel(f.path)} && git status --short`]);
    }),
    move('gitignore', 0.7, (w) => {
      const repo = repoHere(w);
      if (!repo) return null;
      const ig = posix.join(repo, '.gitignore');
      if (w.files.has(ig)) return null;
      w.addFile(ig, 'txt', ['*.log', '__pycache__/', '*.bak']);
      return `printf '*.log\\n__pycache__/\\n*.bak\\n' > ${w.rel(ig)}`;
    }),
  ],
  scratch: [],
};
