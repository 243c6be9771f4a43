/**
 * The nearest manifest to a Dockerfile, for Harbor / Terminal-Bench task environments run without
 * their OCI image. Covered: one FROM (a Debian/Ubuntu/python-like base becomes the workstation
 * image), `RUN apt-get install` (packages), other RUN steps (setup, in order), ENV, WORKDIR,
 * COPY/ADD of files and folders from the build context. Not covered, each reported as a warning:
 * multi-stage builds (a second FROM, COPY --from), ARG substitution, USER (sessions run as root),
 * RUN --mount, ADD of URLs or archives (copied, not extracted), SHELL, and the instructions that
 * only matter to a container runtime (CMD, ENTRYPOINT, EXPOSE, VOLUME, HEALTHCHECK, LABEL,
 * STOPSIGNAL, ONBUILD).
 */
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { TwError } from '../../core/errors.js';
import type { ImageManifest } from './manifest.js';

export interface DockerfileManifest {
  manifest: ImageManifest;
  warnings: string[];
}

/** Logical lines: continuations joined, comments and blank lines dropped. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (cur === '' && /^\s*(#|$)/.test(line)) continue;
    if (/\\\s*$/.test(line)) {
      cur += line.replace(/\\\s*$/, ' ');
      continue;
    }
    out.push((cur + line).trim());
    cur = '';
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

function words(s: string): string[] {
  if (s.startsWith('[')) {
    try {
      const a: unknown = JSON.parse(s);
      if (Array.isArray(a) && a.every((x) => typeof x === 'string')) return a as string[];
    } catch {
      /* shell form */
    }
  }
  return s.split(/\s+/).filter((w) => w !== '');
}

/** Files under a context path, as manifest entries under `dest`. */
function filesFrom(context: string, src: string, dest: string, workdir: string, intoDir: boolean): ImageManifest['files'] {
  const abs = join(context, src);
  if (!abs.startsWith(context) || !existsSync(abs))
    throw new TwError(`Dockerfile COPY/ADD source "${src}" is not in the build context ${context}`, 'add the file to the environment folder or fix the path');
  const target = dest.startsWith('/') ? dest : posix.join(workdir, dest);
  const st = statSync(abs);
  if (st.isFile()) {
    const to = intoDir ? posix.join(target, posix.basename(src)) : target;
    return [{ path: to, base64: readFileSync(abs).toString('base64'), mode: st.mode & 0o7777 }];
  }
  const out: ImageManifest['files'] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const s = lstatSync(p);
      if (s.isDirectory()) walk(p);
      else if (s.isFile())
        out.push({ path: posix.join(target, relative(abs, p).split('\\').join('/')), base64: readFileSync(p).toString('base64'), mode: s.mode & 0o7777 });
    }
  };
  walk(abs);
  return out;
}

export function manifestFromDockerfile(path: string, id: string): DockerfileManifest {
  if (!existsSync(path))
    throw new TwError(`no Dockerfile at ${path}`, "a Harbor task keeps it at environment/Dockerfile; or pass --image with the task's OCI tarball");
  const context = join(path, '..');
  const warnings: string[] = [];
  const m: ImageManifest = {
    format: 'terminalworld.image',
    version: 1,
    id,
    base: 'workstation',
    packages: [],
    files: [],
    setup: [],
    env: {},
    workdir: '/root',
  };
  let froms = 0;
  for (const line of logicalLines(readFileSync(path, 'utf8'))) {
    const sp = line.search(/\s/);
    const op = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
    const rest = sp < 0 ? '' : line.slice(sp + 1).trim();
    switch (op) {
      case 'FROM': {
        froms++;
        if (froms > 1) warnings.push(`multi-stage build: only the first stage is used (${line})`);
        else if (!/^(debian|ubuntu|python|buildpack-deps|ghcr\.io\/laude-institute|.*bookworm|.*bullseye)/i.test(rest))
          warnings.push(`FROM ${rest}: not a Debian-like base; the workstation image stands in for it`);
        break;
      }
      case 'RUN': {
        if (froms > 1) break;
        if (rest.startsWith('--')) warnings.push(`RUN flags are not covered (${rest.split(/\s/)[0]}): run without them`);
        const cmd = rest.replace(/^(--\S+\s+)+/, '');
        const kept: string[] = [];
        for (const part of cmd.split(/\s*&&\s*/)) {
          const p = part.trim();
          const inst = /^(?:DEBIAN_FRONTEND=\S+\s+)?apt(?:-get)?\s+(?:-\S+\s+)*install\s+(.*)$/.exec(p);
          if (inst?.[1] !== undefined) {
            for (const w of inst[1].split(/\s+/)) if (w !== '' && !w.startsWith('-')) m.packages.push(w.replace(/=.*$/, ''));
          } else if (/^(?:DEBIAN_FRONTEND=\S+\s+)?apt(?:-get)?\s+(update|clean|upgrade)/.test(p) || /^rm -rf \/var\/lib\/apt\/lists/.test(p)) {
            /* package housekeeping: no effect on the tree we build */
          } else kept.push(p);
        }
        if (kept.length > 0) m.setup.push(kept.join(' && '));
        break;
      }
      case 'ENV': {
        const kv = rest.includes('=')
          ? [...rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)].map((x) => [x[1] ?? '', (x[2] ?? '').replace(/^"|"$/g, '')])
          : [[rest.split(/\s+/)[0] ?? '', rest.split(/\s+/).slice(1).join(' ')]];
        for (const [k, v] of kv) if (k) m.env[k] = v ?? '';
        break;
      }
      case 'WORKDIR':
        m.workdir = rest.startsWith('/') ? rest : posix.join(m.workdir ?? '/', rest);
        m.setup.push(`mkdir -p '${m.workdir}'`);
        break;
      case 'COPY':
      case 'ADD': {
        if (froms > 1) break;
        const w = words(rest).filter((x) => !x.startsWith('--chown') && !x.startsWith('--chmod'));
        if (w.some((x) => x.startsWith('--from'))) {
          warnings.push(`COPY --from is not covered (multi-stage): skipped (${line})`);
          break;
        }
        const dest = w.pop() ?? '/';
        // Docker: a destination ending in "/" (or ".", or several sources) is a folder.
        const intoDir = dest.endsWith('/') || dest === '.' || dest === '..' || w.length > 1;
        for (const src of w) {
          if (/^https?:\/\//.test(src)) {
            warnings.push(`ADD of a URL is not covered (no network): skipped ${src}`);
            continue;
          }
          if (op === 'ADD' && /\.(tar|tgz|tar\.\w+)$/.test(src)) warnings.push(`ADD ${src}: archives are copied, not extracted`);
          m.files.push(...filesFrom(context, src, dest, m.workdir ?? '/root', intoDir));
        }
        break;
      }
      case 'ARG':
        warnings.push(`ARG is not substituted (${rest})`);
        break;
      case 'USER':
        warnings.push(`USER ${rest}: sessions run as root`);
        break;
      case 'SHELL':
        warnings.push('SHELL is not covered: RUN steps use /bin/sh');
        break;
      case 'CMD':
      case 'ENTRYPOINT':
      case 'EXPOSE':
      case 'VOLUME':
      case 'HEALTHCHECK':
      case 'LABEL':
      case 'STOPSIGNAL':
      case 'ONBUILD':
      case 'MAINTAINER':
        break;
      default:
        warnings.push(`unknown instruction ${op}: skipped`);
    }
  }
  if (froms === 0) throw new TwError(`${path} has no FROM`, 'a Dockerfile starts with FROM <image>');
  return { manifest: m, warnings };
}
