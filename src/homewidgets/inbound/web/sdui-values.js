// Leaf components whose value needs formatting or a clock: price, rating, countdown.
// Split from sdui.js to keep each module small; sdui.js is the only importer.

const TICKERS = new Set(); // countdowns alive on the page; one shared 1 s timer drives them all
let tickTimer = 0;

/** Create an element; text goes in as textContent, never as markup. */
export function h(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text != null && text !== '') el.textContent = String(text);
  return el;
}

const money = new Map();
function formatMoney(amount, currency, locale) {
  const key = `${locale}|${currency}`;
  let f = money.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, { style: 'currency', currency: String(currency) });
    } catch {
      f = { format: (n) => `${new Intl.NumberFormat(locale).format(n)} ${currency}` };
    }
    money.set(key, f);
  }
  return f.format(Number(amount));
}

const PERIODS = { month: '/month', year: '/year' };
export function price(c, ctx) {
  if (typeof c.amount !== 'number') throw new TypeError('price.amount');
  const locale = ctx.locale || document.documentElement.lang || undefined;
  const el = h('p', 'sd-price');
  const now = formatMoney(c.amount, c.currency, locale);
  const per = PERIODS[c.period] || '';
  const hasWas = typeof c.was_amount === 'number' && c.was_amount !== c.amount;
  if (hasWas) {
    const del = h('del', 'sd-was');
    del.append(srOnly('Was '), formatMoney(c.was_amount, c.currency, locale));
    el.append(del, ' ');
  }
  const strong = h('strong', 'sd-amount');
  if (hasWas) strong.append(srOnly('Now '));
  strong.append(now);
  el.append(strong);
  if (per) {
    const p = h('span', 'sd-period', per);
    p.setAttribute('aria-hidden', 'true');
    el.append(p, srOnly(` per ${c.period}`));
  }
  return el;
}

export function srOnly(text) {
  return h('span', 'sr-only', text);
}

const countFmt = new Intl.NumberFormat('en');
export function rating(c) {
  const max = typeof c.max === 'number' && c.max > 0 ? c.max : 5;
  const value = Math.max(0, Math.min(Number(c.value) || 0, max));
  const el = h('div', 'sd-rating');
  el.setAttribute('role', 'img');
  const count = typeof c.count === 'number' ? countFmt.format(c.count) : '';
  const shown = countFmt.format(Math.round(value * 10) / 10);
  const reviews = count ? ` (${count} ${c.count === 1 ? 'review' : 'reviews'})` : '';
  el.setAttribute('aria-label', `${shown} out of ${countFmt.format(max)}${reviews}`);
  const stars = h('span', 'sd-stars');
  stars.dataset.stars = '★'.repeat(Math.min(Math.ceil(max), 10));
  stars.style.setProperty('--fill', `${(value / max) * 100}%`);
  stars.setAttribute('aria-hidden', 'true');
  el.append(stars, h('span', 'sd-rating-value', shown));
  if (count) el.append(h('span', 'sd-rating-count', `(${count})`));
  return el;
}

export function countdown(c) {
  const until = Date.parse(c.until);
  if (Number.isNaN(until)) throw new TypeError('countdown.until');
  const el = h('p', 'sd-countdown');
  if (c.label) el.append(h('span', 'sd-countdown-label', c.label), ' ');
  const time = h('time', 'sd-countdown-time');
  time.dateTime = new Date(until).toISOString();
  time.setAttribute('role', 'timer');
  el.append(time);
  const entry = { el, time, until, born: Date.now(), seen: false };
  tick(entry, Date.now());
  if (!entry.done) {
    TICKERS.add(entry);
    if (!tickTimer) tickTimer = setInterval(tickAll, 1000);
  }
  return el;
}

function tickAll() {
  const now = Date.now();
  for (const entry of TICKERS) {
    const alive = entry.el.isConnected;
    if (alive) entry.seen = true;
    // forget countdowns removed from the page, or never attached within a minute
    if ((!alive && entry.seen) || (!entry.seen && now - entry.born > 60000)) TICKERS.delete(entry);
    else tick(entry, now);
    if (entry.done) TICKERS.delete(entry);
  }
  if (!TICKERS.size) {
    clearInterval(tickTimer);
    tickTimer = 0;
  }
}

function tick(entry, now) {
  const left = Math.floor((entry.until - now) / 1000);
  if (left <= 0) {
    entry.time.textContent = 'ended';
    entry.el.classList.add('sd-ended');
    entry.done = true;
    return;
  }
  const d = Math.floor(left / 86400);
  const pad = (n) => String(n).padStart(2, '0');
  const hms = `${pad(Math.floor((left % 86400) / 3600))}:${pad(Math.floor((left % 3600) / 60))}:${pad(left % 60)}`;
  entry.time.textContent = d ? `${d}d ${hms}` : hms;
}
