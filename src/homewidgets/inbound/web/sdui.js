// SDUI renderer, schema version 1 (CONTRACT 7): one component tree -> one DOM node.
// Why no framework: a home page is a handful of widgets that change rarely; plain DOM
// calls keep the page small and the first widget fast. Every text goes through
// textContent (never innerHTML), and only https: or site-relative URLs become links.

import { countdown, h, price, rating } from './sdui-values.js';

const HEADING_MAX = 6;

/** True for `https:` URLs and site-relative paths (`/x`, not `//host`). */
export function isAllowedUrl(url) {
  if (typeof url !== 'string' || url === '') return false;
  if (url.startsWith('/')) return !url.startsWith('//') && !url.startsWith('/\\');
  return /^https:\/\/[^\s]/i.test(url);
}

/**
 * Render one component (and its children). ctx (all optional):
 *   report(type, fields)  'click' | 'dismiss' with {component_id?, event?}
 *   dismiss(element)      remove the widget that holds element (default: fade the rendered root)
 *   navigate(url)         default location.assign
 *   locale, headingLevel  (default: <html lang>, 3)
 * Unknown types render their `fallback`, else nothing (an empty comment node).
 */
export function render(component, ctx = {}) {
  return node(component, ctx, ctx.headingLevel || 3, 0);
}

function node(c, ctx, level, depth) {
  if (!c || typeof c !== 'object' || Array.isArray(c) || depth > 32) return empty();
  const build = BUILDERS[c.type];
  if (!build) return c.fallback ? node(c.fallback, ctx, level, depth + 1) : empty(c.type);
  let el;
  try {
    el = build(c, ctx, level, depth);
  } catch {
    return c.fallback ? node(c.fallback, ctx, level, depth + 1) : empty(c.type);
  }
  el.dataset.sduiType = c.type;
  if (typeof c.id === 'string' && c.id) el.dataset.sduiId = c.id;
  return el;
}

function empty(type) {
  return document.createComment(type ? ` sdui: unknown ${String(type).slice(0, 40)} ` : ' sdui ');
}

function kids(parent, list, ctx, level, depth, wrap) {
  if (!Array.isArray(list)) return parent;
  for (const child of list) {
    const n = node(child, ctx, level, depth + 1);
    if (wrap && n.nodeType === 1) {
      const w = h(wrap);
      w.append(n);
      parent.append(w);
    } else parent.append(n);
  }
  return parent;
}

function heading(level, cls, text) {
  return h(`h${Math.min(level, HEADING_MAX)}`, cls, text);
}

function section(c, ctx, level, depth) {
  const el = h('section', 'sd-section');
  if (c.title) el.append(heading(level, 'sd-title', c.title));
  return kids(el, c.children, ctx, c.title ? level + 1 : level, depth);
}

function carousel(c, ctx, level, depth) {
  const el = h('section', 'sd-carousel');
  el.setAttribute('aria-roledescription', 'carousel');
  const head = h('div', 'sd-carousel-head');
  if (c.title) {
    const t = heading(level, 'sd-title', c.title);
    head.append(t);
    el.setAttribute('aria-label', String(c.title));
  } else el.classList.add('sd-untitled'); // no header row: the buttons sit on the track's edges
  const track = h('ul', 'sd-track');
  track.tabIndex = 0;
  track.setAttribute('aria-label', c.title ? `${c.title}: items` : 'Items');
  kids(track, c.items, ctx, c.title ? level + 1 : level, depth, 'li');
  const prev = navButton('prev', 'Previous items', '‹');
  const next = navButton('next', 'Next items', '›');
  const step = (dir) => () => {
    const item = track.firstElementChild;
    const width = item ? item.getBoundingClientRect().width + 12 : track.clientWidth;
    const n = Math.max(1, Math.floor(track.clientWidth / width));
    track.scrollBy({ left: dir * n * width, behavior: 'smooth' });
  };
  prev.addEventListener('click', step(-1));
  next.addEventListener('click', step(1));
  const sync = () => {
    const max = track.scrollWidth - track.clientWidth - 2;
    prev.disabled = track.scrollLeft <= 2;
    next.disabled = track.scrollLeft >= max;
    el.classList.toggle('sd-static', max <= 0);
  };
  track.addEventListener('scroll', () => requestAnimationFrame(sync), { passive: true });
  if (typeof ResizeObserver === 'function') new ResizeObserver(sync).observe(track);
  else requestAnimationFrame(sync);
  const nav = h('div', 'sd-carousel-nav');
  nav.append(prev, next);
  head.append(nav);
  el.append(head, track);
  return el;
}

function navButton(cls, label, glyph) {
  const b = h('button', `sd-nav sd-${cls}`, glyph);
  b.type = 'button';
  b.setAttribute('aria-label', label);
  return b;
}

function card(c, ctx, level, depth) {
  const el = h('article', 'sd-card');
  const inner = h('div', 'sd-card-in'); // the card is a size container; its layout lives inside
  if (c.image && typeof c.image === 'object') {
    const media = h('div', 'sd-card-media');
    media.append(node({ type: 'image', ...c.image }, ctx, level, depth + 1));
    if (c.badge) media.append(node({ type: 'badge', ...c.badge }, ctx, level, depth + 1));
    inner.append(media);
  }
  const body = h('div', 'sd-card-body');
  if (c.badge && !c.image) body.append(node({ type: 'badge', ...c.badge }, ctx, level, depth + 1));
  body.append(heading(level, 'sd-card-title', c.title));
  if (c.subtitle) body.append(h('p', 'sd-card-subtitle', c.subtitle));
  kids(body, c.children, ctx, level + 1, depth);
  inner.append(body);
  if (Array.isArray(c.actions) && c.actions.length) {
    inner.append(kids(h('div', 'sd-actions'), c.actions, ctx, level + 1, depth));
  }
  el.append(inner);
  return el;
}

const TEXT_STYLES = new Set(['title', 'subtitle', 'body', 'caption']);
function text(c) {
  const style = TEXT_STYLES.has(c.style) ? c.style : 'body';
  return h('p', `sd-text sd-text-${style}`, c.text);
}

function image(c) {
  const wrap = h('div', 'sd-image');
  const ratio = aspect(c.aspect_ratio);
  if (ratio) {
    wrap.style.aspectRatio = ratio;
    const [w, hgt = 1] = ratio.split('/').map(Number);
    wrap.style.setProperty('--ar', String(w / hgt)); // lets CSS cap the height without cropping
  }
  if (isAllowedUrl(c.url)) {
    const img = h('img');
    img.alt = typeof c.alt === 'string' ? c.alt : '';
    img.loading = 'lazy';
    img.decoding = 'async';
    img.src = c.url;
    img.addEventListener('error', () => wrap.classList.add('sd-broken'), { once: true });
    wrap.append(img);
  } else {
    wrap.classList.add('sd-broken');
    wrap.setAttribute('role', 'img');
    wrap.setAttribute('aria-label', typeof c.alt === 'string' ? c.alt : '');
  }
  return wrap;
}

function aspect(v) {
  if (typeof v === 'number' && v > 0 && Number.isFinite(v)) return String(v);
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*[:/x]\s*(\d+(?:\.\d+)?)\s*$/.exec(v);
    if (m && Number(m[2]) > 0) return `${m[1]} / ${m[2]}`;
    if (Number(v) > 0) return String(Number(v));
  }
  return '';
}

const BUTTON_STYLES = new Set(['primary', 'secondary', 'link']);
function button(c, ctx) {
  const style = BUTTON_STYLES.has(c.style) ? c.style : 'primary';
  const action = c.action && typeof c.action === 'object' ? c.action : {};
  const cls = `sd-button sd-button-${style}`;
  const id = typeof c.id === 'string' ? c.id : undefined;
  if (action.type === 'navigate') {
    if (!isAllowedUrl(action.url)) {
      const b = h('button', cls, c.label);
      b.type = 'button';
      b.disabled = true;
      return b;
    }
    const a = h('a', cls, c.label);
    a.href = action.url;
    a.addEventListener('click', (ev) => {
      call(ctx, 'report', 'click', { component_id: id, url: action.url });
      if (ctx.navigate && !ev.defaultPrevented && !ev.metaKey && !ev.ctrlKey) {
        ev.preventDefault();
        ctx.navigate(action.url);
      }
    });
    return a;
  }
  const b = h('button', cls, c.label);
  b.type = 'button';
  if (action.type === 'dismiss') {
    b.addEventListener('click', () => {
      call(ctx, 'report', 'dismiss', { component_id: id });
      if (ctx.dismiss) ctx.dismiss(b);
      else fadeOut(b.closest('[data-sdui-root]') || b);
    });
  } else if (action.type === 'track') {
    b.addEventListener('click', () => {
      call(ctx, 'report', 'click', { component_id: id, event: String(action.event ?? '') });
    });
  } else b.disabled = true;
  return b;
}

function call(ctx, name, ...args) {
  try {
    if (typeof ctx[name] === 'function') ctx[name](...args);
  } catch (err) {
    console.error(err);
  }
}

/** Collapse and remove an element with a short animation (instant for reduced motion). */
export function fadeOut(el) {
  const reduce = matchMedia('(prefers-reduced-motion: reduce)').matches;
  if (reduce || !el.animate) return el.remove();
  const hgt = el.getBoundingClientRect().height;
  el.style.overflow = 'hidden';
  const anim = el.animate(
    [
      { opacity: 1, transform: 'none', height: `${hgt}px` },
      { opacity: 0, transform: 'scale(.97)', height: `${hgt}px`, offset: 0.6 },
      { opacity: 0, height: '0px', marginTop: '0px', marginBottom: '0px', paddingTop: '0px', paddingBottom: '0px' },
    ],
    { duration: 320, easing: 'ease-in' },
  );
  anim.onfinish = () => el.remove();
}

const TONES = new Set(['neutral', 'info', 'success', 'warning', 'danger', 'deal']);
function badge(c) {
  return h('span', `sd-badge sd-tone-${TONES.has(c.tone) ? c.tone : 'neutral'}`, c.label);
}

function flex(cls) {
  return (c, ctx, level, depth) => kids(h('div', cls), c.children, ctx, level, depth);
}

function divider() {
  return h('hr', 'sd-divider');
}

const BUILDERS = {
  section,
  carousel,
  card,
  text,
  image,
  button,
  price,
  badge,
  rating,
  row: flex('sd-row'),
  column: flex('sd-column'),
  countdown,
  divider,
};

/** The component types this renderer knows (schema version 1). */
export const TYPES = Object.freeze(Object.keys(BUILDERS));
