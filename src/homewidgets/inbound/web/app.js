// The home page (CONTRACT 3 and 8): one request renders every product's widget, the
// events stream re-renders only widgets whose (product, version) changed, in place.
import { fadeOut, render } from './sdui.js';
import { DEMO_USERS, icon, newUserId, setupTheme, UUID } from './page-kit.js';
import { Telemetry } from './telemetry.js';

const $ = (id) => document.getElementById(id);
const boot = window.__hw || {};
const store = safeStorage();
const state = {
  user: boot.user || DEMO_USERS[0].id,
  widgets: new Map(), // product -> {el, body, version}
  names: new Map(readJson(store, 'hw.products') || []),
  es: null,
  seq: 0, // bumped by every stream event: a fetch started earlier is older, so it is dropped
  retry: 0,
};
const telemetry = new Telemetry(() => state.user);
const list = $('widgets');

function safeStorage() {
  try {
    localStorage.setItem('hw.probe', '1');
    return localStorage;
  } catch {
    return { getItem: () => null, setItem() {}, removeItem() {} }; // private mode: forget choices
  }
}

function readJson(where, key) {
  try {
    return JSON.parse(where.getItem(key) || 'null');
  } catch {
    return null;
  }
}

function productName(product) {
  return state.names.get(product) || product.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

// ---- identity ---------------------------------------------------------------------------

function fillPicker() {
  const sel = $('who');
  sel.textContent = '';
  const known = DEMO_USERS.some((u) => u.id === state.user);
  // a short guest label: the select is as wide as its longest option, and phones have ~130 px
  const users = known ? DEMO_USERS : [...DEMO_USERS, { id: state.user, name: `Guest ${state.user.slice(0, 4)}` }];
  for (const u of users) sel.append(new Option(u.name, u.id, false, u.id === state.user));
  sel.append(new Option('New user…', 'new'));
  sel.value = state.user;
}

function greet(home) {
  const demo = DEMO_USERS.find((u) => u.id === state.user);
  const hour = new Date().getHours(); // night 0-5, morning 5-12, afternoon 12-18, evening 18-24
  const part = hour < 5 ? 'Hello' : hour < 12 ? 'Good morning' : hour < 18 ? 'Good afternoon' : 'Good evening';
  $('greeting').textContent = demo ? `${part}, ${demo.name.split(' ')[0]}` : `${part}! Welcome to homewidgets`;
  const status = $('status');
  if (!home) {
    status.textContent = 'Loading your offers…';
    status.className = 'status';
    return;
  }
  status.textContent = home.personalised ? 'Personalised for you' : 'Popular right now';
  status.className = `status ${home.personalised ? 'personal' : 'popular'}`;
}

function switchUser(id) {
  telemetry.flush();
  state.user = id;
  store.setItem('hw.user', id);
  const url = new URL(location.href);
  if (url.searchParams.has('user')) {
    url.searchParams.set('user', id);
    history.replaceState(null, '', url);
  }
  for (const { el } of state.widgets.values()) telemetry.unwatch(el);
  state.widgets.clear();
  list.textContent = '';
  for (let i = 0; i < 3; i++) list.append(skeleton());
  list.setAttribute('aria-busy', 'true');
  fillPicker();
  greet(null);
  load();
  connect();
}

function skeleton() {
  const d = document.createElement('div');
  d.className = 'widget skel';
  d.setAttribute('aria-hidden', 'true');
  return d;
}

// ---- rendering ----------------------------------------------------------------------------

function dismissed() {
  return readJson(store, `hw.dismissed.${state.user}`) || {};
}

function widgetCtx(product) {
  return {
    report: (type, f) => {
      const w = state.widgets.get(product);
      telemetry.send(type, product, w ? w.version : 0, f);
      if (f.url) telemetry.flush(true); // a navigation follows: do not wait for the batch
    },
    dismiss: () => dismiss(product),
  };
}

function dismiss(product) {
  const w = state.widgets.get(product);
  if (!w) return;
  const d = dismissed();
  d[product] = w.version;
  store.setItem(`hw.dismissed.${state.user}`, JSON.stringify(d));
  state.widgets.delete(product);
  telemetry.unwatch(w.el);
  fadeOut(w.el);
  renderChips();
}

function createWidget(product) {
  const el = document.createElement('section');
  el.className = 'widget';
  el.id = `w-${product}`;
  el.dataset.product = product;
  el.setAttribute('aria-labelledby', `h-${product}`);
  const head = document.createElement('div');
  head.className = 'widget-head';
  const ic = document.createElement('span');
  ic.className = 'widget-icon';
  ic.append(icon(product));
  const h2 = document.createElement('h2');
  h2.id = `h-${product}`;
  h2.textContent = productName(product);
  const tag = document.createElement('span');
  tag.className = 'widget-tag';
  tag.textContent = 'For you';
  head.append(ic, h2, tag);
  const body = document.createElement('div');
  body.className = 'widget-body';
  el.append(head, body);
  return { el, body, tag, version: null };
}

function fill(w, data) {
  let node;
  try {
    node = render(data.content, widgetCtx(data.product));
  } catch (err) {
    console.error('widget', data.product, err);
    node = document.createComment('render failed');
  }
  w.body.replaceChildren(node);
  w.version = data.version;
  w.el.dataset.version = String(data.version);
  w.tag.hidden = !data.personalised;
  telemetry.watch(w.el, data.product, data.version);
}

/** Apply a whole home document; only widgets whose (product, version) changed are rebuilt. */
function applyHome(home, { live = false } = {}) {
  if (!home || !Array.isArray(home.widgets)) return;
  greet(home);
  const hidden = dismissed();
  const anchor = captureAnchor();
  if (list.querySelector('.skel, .empty')) list.textContent = '';
  const wanted = [];
  for (const data of home.widgets) {
    if (!data || typeof data.product !== 'string' || hidden[data.product] === data.version) continue;
    let w = state.widgets.get(data.product);
    if (!w) {
      w = createWidget(data.product);
      state.widgets.set(data.product, w);
      fill(w, data);
      if (live) flash(w.el);
    } else if (w.version !== data.version) {
      fill(w, data);
      flash(w.el);
    }
    wanted.push(w.el);
  }
  const keep = new Set(wanted);
  for (const [product, w] of state.widgets) {
    if (!keep.has(w.el)) {
      telemetry.unwatch(w.el);
      w.el.remove();
      state.widgets.delete(product);
    }
  }
  let cursor = list.firstElementChild;
  for (const el of wanted) {
    if (cursor === el) cursor = cursor.nextElementSibling;
    else list.insertBefore(el, cursor);
  }
  if (!wanted.length) {
    const p = document.createElement('p');
    p.className = 'empty';
    p.textContent = 'No offers right now. New ones appear here as soon as they arrive.';
    list.append(p);
  }
  list.removeAttribute('aria-busy');
  restoreAnchor(anchor);
  if (!performance.getEntriesByName('hw:widgets').length) performance.mark('hw:widgets');
  renderChips();
}

function flash(el) {
  el.classList.remove('updated');
  void el.offsetWidth; // restart the animation
  el.classList.add('updated');
  el.addEventListener('animationend', () => el.classList.remove('updated'), { once: true });
}

// Keep what the reader looks at still while widgets above it change height.
function captureAnchor() {
  for (const el of list.children) {
    const r = el.getBoundingClientRect();
    if (r.bottom > 0) return { el, top: r.top };
  }
  return null;
}

function restoreAnchor(a) {
  if (!a || !a.el.isConnected) return;
  const delta = a.el.getBoundingClientRect().top - a.top;
  if (delta) scrollBy(0, delta);
}

function renderChips() {
  const nav = $('chips');
  nav.textContent = '';
  for (const [product, w] of state.widgets) {
    const a = document.createElement('a');
    a.href = `#${w.el.id}`;
    a.append(icon(product), productName(product));
    nav.append(a);
  }
}

// ---- network ------------------------------------------------------------------------------

async function load(first) {
  const seq = state.seq;
  const user = state.user;
  let res = first ? await first : null;
  try {
    if (!res) res = await fetch(`/v1/home/${user}`, { cache: 'no-cache', headers: { accept: 'application/json' } });
    if (!res || !res.ok) throw new Error(res ? `HTTP ${res.status}` : 'offline');
    const home = await res.json();
    if (user === state.user && seq === state.seq) applyHome(home);
    state.retry = 0;
  } catch (err) {
    if (user !== state.user) return;
    toast('Could not load your offers. Retrying…');
    setTimeout(() => user === state.user && load(), Math.min(30000, 1000 * 2 ** state.retry++));
  }
}

async function loadNames() {
  try {
    const res = await fetch('/v1/products');
    if (!res.ok) return;
    const data = await res.json();
    const items = Array.isArray(data) ? data : data.products || [];
    state.names = new Map(items.map((p) => [p.id, p.name]));
    store.setItem('hw.products', JSON.stringify([...state.names]));
    for (const [product, w] of state.widgets) w.el.querySelector('h2').textContent = productName(product);
    renderChips();
  } catch {
    /* names are cosmetic: the ids stay */
  }
}

function connect() {
  if (state.es) state.es.close();
  if (typeof EventSource !== 'function') return;
  const user = state.user;
  const es = new EventSource(`/v1/home/${user}/events`);
  state.es = es;
  const live = $('live');
  es.addEventListener('home', (ev) => {
    let home;
    try {
      home = JSON.parse(ev.data);
    } catch {
      return;
    }
    state.seq++;
    if (user === state.user && (!home.user_id || home.user_id === user)) applyHome(home, { live: true });
  });
  let opens = 0;
  es.onopen = () => {
    live.classList.add('on');
    live.textContent = 'Live';
    // changes made while we were not listening were missed: ask again (cheap: ETag)
    if (opens++ > 0 || state.widgets.size) load();
  };
  es.onerror = () => {
    live.classList.remove('on');
    live.textContent = 'Reconnecting…';
    if (es.readyState === EventSource.CLOSED && state.es === es) {
      setTimeout(() => state.es === es && connect(), 3000);
    }
  };
}

let toastTimer = 0;
function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
}

// ---- start ---------------------------------------------------------------------------------
performance.mark('hw:app');
fillPicker();
greet(null);
setupTheme(store);
$('who').addEventListener('change', (ev) => {
  const v = ev.target.value;
  if (v === 'new') switchUser(newUserId());
  else if (UUID.test(v)) switchUser(v);
});
store.setItem('hw.user', state.user);
load(boot.home);
loadNames();
connect();
