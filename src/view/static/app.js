// The viewer's page: plain DOM, no framework, every byte from the server shown as text (never as HTML).
const $ = (sel) => document.querySelector(sel);
const PAGE = 50;
const state = { info: null, source: 0, offset: 0, total: 0, session: null, compare: null, selected: null, heat: false, live: null };

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function status(text) {
  $('#status').textContent = text;
}

async function api(path, body) {
  const init = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const r = await fetch(path, init);
  const j = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new Error(j.error || `HTTP ${r.status}`);
  return j;
}

/** Diff segments -> one side's <pre> content: 'del' shown on the expected side, 'ins' on the actual side. */
function diffPre(segments, side) {
  const pre = el('pre', { class: 'out' });
  for (const s of segments) {
    if (s.op === 'same') pre.append(s.text);
    else if (s.op === 'del' && side === 'real') pre.append(el('del', { text: s.text }));
    else if (s.op === 'ins' && (side === 'sim' || side === 'both')) pre.append(el('ins', { text: s.text }));
    else if (s.op === 'del' && side === 'both') pre.append(el('del', { class: 'gone', title: 'in the reference, not here', text: s.text }));
  }
  return pre;
}

function heatPre(heat) {
  const pre = el('pre', { class: 'out heat' });
  for (const [text, level] of heat) pre.append(level < 0 ? text : el('span', { class: `h${level}`, title: `p ≥ ${level / 10}`, text }));
  return pre;
}

// ---------- browsing ----------

async function loadPage() {
  const src = state.info.sources[state.source];
  if (!src) {
    $('#sessions').replaceChildren(el('li', { class: 'bad', text: 'no session file given (tw view --corpus FILE)' }));
    return;
  }
  const j = await api(`/api/sessions?source=${state.source}&offset=${state.offset}&limit=${PAGE}`);
  state.total = j.total;
  $('#range').textContent = `${j.total ? j.offset + 1 : 0}–${Math.min(j.total, j.offset + j.items.length)} of ${j.total}`;
  $('#prev').disabled = j.offset === 0;
  $('#next').disabled = j.offset + j.items.length >= j.total;
  $('#sessions').replaceChildren(...j.items.map(sessionItem));
  markSelected();
}

function sessionItem(s) {
  return el(
    'li',
    { class: s.error ? 'bad' : '', 'data-index': s.index, onclick: () => (location.hash = `#s=${state.source}:${s.index}`) },
    el('div', { class: 'id', text: `${s.index + 1}. ${s.error ? `line ${s.line}: invalid` : s.id}` }),
    el('div', { class: 'meta', text: s.error ? s.error : `${s.turns} turns · ${(s.families || []).join(', ')} · ${s.firstCmd ?? ''}` }),
  );
}

/** Search the source from session `from` on; the list shows the matches, with a button for more. */
async function search(q, from) {
  const j = await api(`/api/search?source=${state.source}&q=${encodeURIComponent(q)}&from=${from}&limit=${PAGE}`);
  const list = $('#sessions');
  if (from === 0) list.replaceChildren();
  list.querySelector('li.more')?.remove();
  list.append(...j.items.map(sessionItem));
  $('#range').textContent = `“${q}”: ${list.querySelectorAll('li[data-index]').length} found${j.next >= 0 ? ` in sessions 1–${j.next}` : ''}`;
  if (j.next >= 0) list.append(el('li', { class: 'more', onclick: () => search(q, j.next), text: 'find more…' }));
  markSelected();
}

function markSelected() {
  for (const li of document.querySelectorAll('#sessions li')) li.classList.toggle('on', state.session && Number(li.dataset.index) === state.session.index);
}

async function openSession(source, index) {
  showView('browse');
  if (source !== state.source || index < state.offset || index >= state.offset + PAGE) {
    state.source = source;
    $('#source').value = String(source);
    state.offset = Math.floor(index / PAGE) * PAGE;
    await loadPage();
  }
  const box = $('#session');
  state.compare = null;
  state.selected = null;
  let s;
  try {
    s = await api(`/api/session?source=${source}&index=${index}`);
  } catch (e) {
    state.session = { index };
    markSelected();
    box.replaceChildren(el('h2', { text: `session ${index + 1}` }), el('div', { class: 'err', id: 'session-error', text: e.message }));
    return;
  }
  state.session = s;
  markSelected();
  const backendSel = el(
    'select',
    { id: 'cmp-backend' },
    ...state.info.backends.filter((b) => b !== 'real').map((b) => el('option', { value: b, selected: b === state.info.compareBackend, text: b })),
  );
  const modeSel = el(
    'select',
    { id: 'cmp-mode' },
    el('option', { value: 'teacher', text: 'teacher-forced (real history before each turn)' }),
    el('option', { value: 'free', text: 'free-running (its own history)' }),
  );
  const heat = el(
    'label',
    {},
    el('input', {
      type: 'checkbox',
      id: 'heat',
      checked: state.heat,
      onchange: (ev) => {
        state.heat = ev.target.checked;
        renderDetail();
      },
    }),
    ' confidence heat map',
  );
  box.replaceChildren(
    ...[
      el('h2', { text: s.id }),
      el('div', {
        class: 'hint',
        text: `line ${s.line} · ${s.turns.length} turns · ${s.mode} · image ${s.image ? `${s.image.id} v${s.image.version}` : '—'} · seed ${s.seed}${s.setup.length ? ` · setup: ${s.setup.join('; ')}` : ''}`,
      }),
      s.gym
        ? el('div', {
            class: 'hint',
            id: 'gym-meta',
            text: `gym episode ${s.gym.episode_id ?? ''}: ${s.gym.done_reason ?? ''}, reward ${s.gym.reward ?? '—'}, ${s.gym.steps ?? '?'} steps${s.gym.verifier ? `, verifier ${s.gym.verifier.passed ? 'passed' : 'failed'}` : ''}`,
          })
        : null,
      s.task
        ? el('div', {
            class: 'hint',
            text: `task: ${typeof s.task === 'object' ? (s.task.id ?? s.task.family ?? JSON.stringify(s.task).slice(0, 120)) : String(s.task)}`,
          })
        : null,
      el(
        'div',
        { class: 'controls' },
        'compare with',
        backendSel,
        modeSel,
        el('button', { id: 'cmp-run', type: 'button', onclick: () => runCompare() }, 'replay'),
        heat,
        el('span', { id: 'cmp-status', class: 'hint' }),
      ),
      el('div', { id: 'detail' }),
      el(
        'table',
        { class: 'turns' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            el('th', { text: 'T' }),
            el('th', { text: 'command' }),
            el('th', { text: 'exit' }),
            el('th', { text: 'cwd' }),
            el('th', { text: 'replay' }),
          ),
        ),
        el('tbody', { id: 'turn-rows' }),
      ),
    ].filter((x) => x !== null),
  );
  renderRows();
  runCompare();
}

function renderRows() {
  const s = state.session;
  const cmp = state.compare;
  $('#turn-rows').replaceChildren(
    ...s.turns.map((t, i) => {
      const c = cmp?.turns[i];
      const st = !c ? 'pending' : 'error' in c.sim ? 'fail' : c.exact && c.cwdMatch ? 'ok' : 'fail';
      const badge = !c
        ? el('span', { class: 'badge', text: cmp ? '' : '…' })
        : st === 'ok'
          ? el('span', { class: 'badge ok', text: '✓ same' })
          : el('span', {
              class: 'badge fail',
              text: 'error' in c.sim ? '✗ error' : `✗ ${!c.exact ? (c.firstDiff >= 0 ? `byte ${c.firstDiff}` : 'exit') : 'cwd'}`,
            });
      return el(
        'tr',
        {
          class: `turn${state.selected === i ? ' on' : ''}`,
          'data-depth': t.depth,
          'data-status': st,
          'data-first-diff': c && !('error' in c.sim) ? c.firstDiff : undefined,
          onclick: () => {
            state.selected = i;
            renderRows();
            renderDetail();
          },
        },
        el('td', { text: t.depth }),
        el('td', { class: 'cmd', title: t.cmd, text: t.cmd }),
        el('td', { text: t.exit }),
        el('td', { text: t.cwd }),
        el('td', {}, badge),
      );
    }),
  );
}

function kv(label, real, sim) {
  const bad = sim !== undefined && sim !== real;
  return el('div', { class: 'kv' }, `${label}: `, el('span', { class: bad ? 'mismatch' : '', text: String(sim === undefined ? real : sim) }));
}

function renderDetail() {
  const box = $('#detail');
  if (!box) return;
  const i = state.selected;
  if (i === null || i === undefined) {
    box.replaceChildren(el('p', { class: 'hint', text: 'Click a turn to see the real output beside the replay, byte differences marked.' }));
    return;
  }
  const t = state.session.turns[i];
  const c = state.compare?.turns[i];
  const realPanel = el(
    'div',
    { class: 'panel real' },
    el('h4', { text: 'real (recorded)' }),
    c && !('error' in c.sim) ? diffPre(c.segments, 'real') : el('pre', { class: 'out', text: t.output }),
    kv('exit', t.exit),
    kv('cwd', t.cwd),
  );
  let simPanel;
  const name = state.compare?.backend ?? $('#cmp-backend')?.value ?? '';
  if (!c) simPanel = el('div', { class: 'panel sim' }, el('h4', { text: name }), el('p', { class: 'hint', text: 'replaying…' }));
  else if ('error' in c.sim) simPanel = el('div', { class: 'panel sim' }, el('h4', { text: name }), el('div', { class: 'err', text: c.sim.error }));
  else {
    const useHeat = state.heat && c.sim.heat;
    simPanel = el(
      'div',
      { class: 'panel sim' },
      el('h4', {
        text: `${name} (${state.compare.mode === 'teacher' ? 'teacher-forced' : 'free-running'})${c.sim.meanConfidence !== undefined && c.sim.meanConfidence !== null ? ` · mean confidence ${(100 * c.sim.meanConfidence).toFixed(0)}%` : ''}`,
      }),
      useHeat ? heatPre(c.sim.heat) : diffPre(c.segments, 'sim'),
      kv('exit', t.exit, c.sim.exit),
      kv('cwd', t.cwd, c.sim.cwd),
      useHeat
        ? el('div', { class: 'legend' }, 'confidence: ', ...[0, 2, 4, 6, 8].map((l) => el('span', { class: `h${l}`, text: `${l * 10}%+` })))
        : state.heat
          ? el('div', { class: 'hint', text: `${name} gives no token probabilities` })
          : null,
    );
  }
  const head = el(
    'div',
    { class: 'hint' },
    `turn ${t.depth}: `,
    el('code', { text: t.cmd }),
    c && !('error' in c.sim)
      ? c.exact
        ? ' — same bytes and exit'
        : c.firstDiff >= 0
          ? ` — first difference at byte ${c.firstDiff}`
          : ' — same bytes, exit differs'
      : '',
  );
  box.replaceChildren(head, el('div', { class: 'split' }, realPanel, simPanel));
}

async function runCompare() {
  const s = state.session;
  if (!s?.turns) return;
  const backend = $('#cmp-backend').value;
  const mode = $('#cmp-mode').value;
  const index = s.index;
  $('#cmp-status').textContent = `replaying on ${backend}…`;
  state.compare = null;
  renderRows();
  renderDetail();
  try {
    const r = await api(`/api/compare?source=${state.source}&index=${index}&backend=${encodeURIComponent(backend)}&mode=${mode}`);
    if (state.session !== s) return;
    state.compare = r;
    $('#cmp-status').textContent =
      `${r.exact}/${r.turns.length} turns the same bytes and exit (${r.seconds.toFixed(1)} s)${r.reseeded || mode === 'free' ? '' : ` · ${backend} keeps its own state: teacher-forced = free-running`}`;
  } catch (e) {
    if (state.session !== s) return;
    $('#cmp-status').textContent = `replay failed: ${e.message}`;
  }
  renderRows();
  renderDetail();
}

// ---------- live ----------

async function liveStart(ev) {
  ev?.preventDefault();
  const backends = [...document.querySelectorAll('#live-backends input:checked')].map((x) => x.value);
  if (state.live) api('/api/live/close', { id: state.live.id }).catch(() => undefined);
  state.live = null;
  $('#live-cmd').disabled = true;
  $('#live-run').disabled = true;
  status(`starting ${backends.join(', ')}…`);
  try {
    const r = await api('/api/live/start', { backends });
    state.live = r;
    $('#live-log').replaceChildren(
      el('p', { class: 'hint', text: `new session on ${r.backends.map((b) => (b.error ? `${b.backend} (failed: ${b.error})` : b.backend)).join(', ')}` }),
    );
    $('#live-cmd').disabled = false;
    $('#live-run').disabled = false;
    $('#live-cmd').focus();
    status('live session ready');
  } catch (e) {
    $('#live-log').replaceChildren(el('div', { class: 'err', text: e.message }));
    status('');
  }
}

async function liveRun(ev) {
  ev.preventDefault();
  const cmd = $('#live-cmd').value;
  if (!state.live || !cmd.trim()) return;
  $('#live-cmd').value = '';
  const block = el('div', { class: 'live-turn' }, el('div', {}, el('code', { text: `$ ${cmd}` }), el('span', { class: 'hint', text: ' running…' })));
  $('#live-log').prepend(block);
  try {
    const r = await api('/api/live/run', { id: state.live.id, cmd });
    const ref = r.turns[0];
    block.replaceChildren(
      el('div', {}, el('code', { text: `$ ${cmd}` })),
      el(
        'div',
        { class: 'live-cols' },
        ...r.turns.map((t, i) =>
          el(
            'div',
            { class: 'panel live-col', 'data-backend': t.backend },
            el(
              'h4',
              {},
              t.backend,
              i === 0
                ? el('span', { class: 'hint', text: ' (reference)' })
                : t.same === undefined
                  ? ''
                  : el('span', { class: t.same ? 'same' : 'differs', text: t.same ? ' ✓ same' : ' ✗ differs' }),
            ),
            t.error
              ? el('div', { class: 'err', text: t.error })
              : i > 0 && t.segments
                ? diffPre(t.segments, 'both')
                : el('pre', { class: 'out', text: t.output }),
            t.error ? null : kv('exit', ref?.exit ?? t.exit, t.exit),
            t.error ? null : kv('cwd', ref?.cwd ?? t.cwd, t.cwd),
          ),
        ),
      ),
    );
  } catch (e) {
    block.append(el('div', { class: 'err', text: e.message }));
  }
}

// ---------- probes (links from the report) ----------

async function openProbe(id) {
  showView('probe');
  const box = $('#probe');
  box.replaceChildren(el('p', { class: 'hint', text: `loading probe ${id}…` }));
  try {
    const p = await api(`/api/probe?id=${encodeURIComponent(id)}`);
    box.replaceChildren(
      el('h2', { text: `${p.category}/${p.id}` }),
      el('p', { class: 'hint', text: `failing on ${p.backend}, from ${p.report}` }),
      ...p.failures.map((f) =>
        el(
          'div',
          { class: 'panel probe-check' },
          el('h4', { text: `turn ${f.turn + 1}: ${f.cmd} — ${f.what}${f.message ? ` (${f.message})` : ''}` }),
          f.segments
            ? el(
                'div',
                { class: 'split' },
                el('div', {}, el('div', { class: 'hint', text: 'expected (real)' }), diffPre(f.segments, 'real')),
                el('div', {}, el('div', { class: 'hint', text: `actual (${p.backend})` }), diffPre(f.segments, 'sim')),
              )
            : null,
        ),
      ),
    );
  } catch (e) {
    box.replaceChildren(el('div', { class: 'err', text: e.message }));
  }
}

// ---------- routing ----------

function showView(name) {
  for (const v of ['browse', 'live', 'probe']) $(`#${v}`).hidden = v !== name;
  $('#tab-browse').classList.toggle('on', name === 'browse');
  $('#tab-live').classList.toggle('on', name === 'live');
}

async function route() {
  const h = location.hash.slice(1);
  const s = /^s=(\d+):(\d+)$/.exec(h);
  if (s) return openSession(Number(s[1]), Number(s[2]));
  if (h === 'live') {
    showView('live');
    if (!state.live) return liveStart();
    return;
  }
  const p = /^probe=(.+)$/.exec(h);
  if (p) return openProbe(decodeURIComponent(p[1]));
  showView('browse');
}

async function init() {
  state.info = await api('/api/info');
  $('#source').replaceChildren(...state.info.sources.map((s) => el('option', { value: s.source, text: `${s.label} (${s.sessions} sessions)` })));
  $('#source').addEventListener('change', (ev) => {
    state.source = Number(ev.target.value);
    state.offset = 0;
    loadPage();
  });
  $('#prev').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - PAGE);
    loadPage();
  });
  $('#next').addEventListener('click', () => {
    state.offset += PAGE;
    loadPage();
  });
  $('#search').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = $('#search-q').value.trim();
    if (q.length >= 2) search(q, 0).catch((e) => status(e.message));
    else loadPage();
  });
  document.addEventListener('keydown', (ev) => {
    // j / k: next / previous turn of the open session
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement || !state.session?.turns) return;
    if (ev.key !== 'j' && ev.key !== 'k') return;
    const n = state.session.turns.length;
    state.selected = state.selected === null ? 0 : Math.max(0, Math.min(n - 1, state.selected + (ev.key === 'j' ? 1 : -1)));
    renderRows();
    renderDetail();
  });
  $('#goto').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const n = Number($('#goto-index').value);
    if (n >= 1) location.hash = `#s=${state.source}:${n - 1}`;
  });
  const ordered = [...state.info.liveBackends, ...state.info.backends.filter((b) => !state.info.liveBackends.includes(b))];
  $('#live-backends').replaceChildren(
    ...ordered.map((b) => el('label', {}, el('input', { type: 'checkbox', value: b, checked: state.info.liveBackends.includes(b) }), ` ${b} `)),
  );
  $('#live-start').addEventListener('submit', liveStart);
  $('#live-form').addEventListener('submit', liveRun);
  window.addEventListener('hashchange', () => route().catch((e) => status(e.message)));
  await loadPage();
  await route();
  status(`${state.info.sources.length} session file(s)`);
  document.body.dataset.ready = '1';
}

init().catch((e) => {
  document.body.prepend(el('div', { class: 'err', text: `viewer failed to start: ${e.message}` }));
});
