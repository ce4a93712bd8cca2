// The SDUI playground: edit a widget's JSON, validate it against the service as you type,
// see each problem at its field, and preview the canonical document with sdui.js.
import { indexJson, lineColumn, locate } from './jsonpointer.js';
import { render } from './sdui.js';

const DEBOUNCE_MS = 400;
const $ = (id) => document.getElementById(id);
const editor = $('editor');
const backdrop = $('backdrop');
const gutter = $('gutter');
const problemsList = $('problems');
const verdict = $('verdict');
let examples = [];
let timer = 0;
let seq = 0;
let inflight = null;
let marks = []; // [{start, end}] of the current problems

// ---- editor chrome: line numbers and marks behind the textarea ---------------------------

function paint() {
  const text = editor.value;
  const lines = text.split('\n').length;
  const bad = new Set(marks.map((m) => lineColumn(text, m.start).line));
  const frag = document.createDocumentFragment();
  for (let n = 1; n <= lines; n++) {
    const d = document.createElement('div');
    d.textContent = String(n);
    if (bad.has(n)) d.className = 'bad';
    frag.append(d);
  }
  gutter.replaceChildren(frag);
  const parts = document.createDocumentFragment();
  let at = 0;
  for (const m of [...marks].sort((a, b) => a.start - b.start)) {
    if (m.start < at) continue;
    parts.append(text.slice(at, m.start));
    const mark = document.createElement('mark');
    mark.textContent = text.slice(m.start, Math.max(m.end, m.start + 1));
    parts.append(mark);
    at = m.start + mark.textContent.length;
  }
  parts.append(`${text.slice(at)}\n`);
  backdrop.replaceChildren(parts);
  sync();
}

function sync() {
  backdrop.scrollTop = editor.scrollTop;
  backdrop.scrollLeft = editor.scrollLeft;
  gutter.scrollTop = editor.scrollTop;
}

function reveal(m) {
  editor.focus();
  editor.setSelectionRange(m.start, m.end);
  const { line } = lineColumn(editor.value, m.start);
  const lh = parseFloat(getComputedStyle(editor).lineHeight) || 20;
  editor.scrollTop = Math.max(0, (line - 3) * lh);
  sync();
}

// ---- validation ------------------------------------------------------------------------------

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(validate, DEBOUNCE_MS);
}

async function validate() {
  clearTimeout(timer);
  const text = editor.value;
  const mine = ++seq;
  try {
    JSON.parse(text);
  } catch (err) {
    return show(mine, 'invalid', [{ pointer: '', reason: `Not JSON: ${err.message}`, offset: parseOffset(err.message, text) }]);
  }
  if (inflight) inflight.abort();
  inflight = new AbortController();
  verdict.textContent = 'Validating…';
  let res;
  let body;
  try {
    res = await fetch('/v1/schema/validate', {
      method: 'POST', body: text, signal: inflight.signal, headers: { 'content-type': 'application/json' },
    });
    body = await res.json();
  } catch (err) {
    if (err.name === 'AbortError') return;
    return show(mine, 'error', [{ pointer: '', reason: `The service did not answer (${err.message}).` }]);
  }
  if (res.ok && body.valid) return show(mine, 'valid', [], body.content);
  const problems = Array.isArray(body.problems) && body.problems.length
    ? body.problems
    : [{ pointer: '', reason: body.message || `HTTP ${res.status}` }];
  return show(mine, res.status === 413 ? 'too large' : 'invalid', problems);
}

function parseOffset(message, text) {
  const pos = /position (\d+)/.exec(message);
  if (pos) return Number(pos[1]);
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (!lc) return text.length;
  const lines = text.split('\n').slice(0, Number(lc[1]) - 1);
  return lines.reduce((n, l) => n + l.length + 1, 0) + Number(lc[2]) - 1;
}

function show(mine, state, problems, content) {
  if (mine !== seq) return; // an older answer: the text changed since
  const text = editor.value;
  const spans = indexJson(text);
  marks = [];
  problemsList.replaceChildren();
  for (const p of problems) {
    const where = p.offset != null
      ? { start: p.offset, end: p.offset + 1, exact: true }
      : locate(text, p.pointer, spans);
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'problem';
    const ptr = document.createElement('code');
    ptr.textContent = p.pointer || '/';
    const why = document.createElement('span');
    why.textContent = p.reason;
    b.append(ptr, why);
    if (where) {
      marks.push(where);
      const { line, column } = lineColumn(text, where.start);
      const at = document.createElement('small');
      at.textContent = `line ${line}, column ${column}${where.exact ? '' : ' (in its parent)'}`;
      b.append(at);
      b.addEventListener('click', () => reveal(where));
    }
    li.append(b);
    problemsList.append(li);
  }
  verdict.className = `verdict ${state === 'valid' ? 'ok' : 'bad'}`;
  verdict.textContent = state === 'valid'
    ? 'Valid: this is what the home page renders.'
    : `${state === 'too large' ? 'Too large' : 'Invalid'}: ${problems.length} problem${problems.length > 1 ? 's' : ''}.`;
  editor.setAttribute('aria-invalid', String(state !== 'valid'));
  paint();
  if (content !== undefined) preview(content);
  else $('preview').classList.add('stale');
}

// ---- preview -------------------------------------------------------------------------------

function preview(content) {
  const root = $('render');
  const stage = $('preview');
  stage.classList.remove('stale');
  stage.querySelector('[data-sdui-root]').hidden = false;
  root.replaceChildren(render(content, {
    report: (type, f) => log(`${type}${f.event ? ` “${f.event}”` : ''}${f.component_id ? ` on ${f.component_id}` : ''}${f.url ? ` → ${f.url}` : ''}`),
    navigate: () => {},
    dismiss: () => {
      stage.querySelector('[data-sdui-root]').hidden = true;
      log('widget dismissed (edit or validate to show it again)');
    },
  }));
}

function log(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('log').prepend(li);
  while ($('log').children.length > 20) $('log').lastChild.remove();
}

// ---- wiring --------------------------------------------------------------------------------

function load(i) {
  const ex = examples[i];
  if (!ex) return;
  editor.value = JSON.stringify(ex.content, null, 2);
  $('example-desc').textContent = ex.description || '';
  editor.scrollTop = 0;
  marks = [];
  paint();
  validate();
}

async function loadExamples() {
  try {
    const res = await fetch('/v1/schema/examples');
    examples = (await res.json()).examples || [];
  } catch {
    examples = [];
  }
  const sel = $('examples');
  examples.forEach((ex, i) => sel.append(new Option(ex.name, String(i))));
  const wanted = Number(new URLSearchParams(location.search).get('example') || 0);
  if (examples.length) {
    sel.value = String(Math.min(wanted, examples.length - 1));
    load(Number(sel.value));
  } else {
    verdict.textContent = 'No examples could be loaded; paste a component.';
  }
}

editor.addEventListener('input', () => {
  marks = [];
  problemsList.replaceChildren(); // old problems point at text that changed
  paint();
  schedule();
});
editor.addEventListener('scroll', sync, { passive: true });
editor.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) validate();
});
$('examples').addEventListener('change', (ev) => load(Number(ev.target.value)));
$('validate').addEventListener('click', validate);
$('format').addEventListener('click', () => {
  try {
    editor.value = JSON.stringify(JSON.parse(editor.value), null, 2);
    paint();
    validate();
  } catch {
    validate();
  }
});
for (const b of document.querySelectorAll('[data-width]')) {
  b.addEventListener('click', () => {
    for (const o of document.querySelectorAll('[data-width]')) o.setAttribute('aria-pressed', String(o === b));
    $('preview').className = `device ${b.dataset.width}`;
  });
}
$('theme').addEventListener('click', () => {
  const root = document.documentElement;
  const dark = root.dataset.theme === 'dark'
    || (!root.dataset.theme && matchMedia('(prefers-color-scheme: dark)').matches);
  root.dataset.theme = dark ? 'light' : 'dark';
  try {
    localStorage.setItem('hw.theme', root.dataset.theme);
  } catch {
    /* private mode */
  }
});
paint();
loadExamples();
