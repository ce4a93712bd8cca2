// Impressions, clicks and dismissals for POST /v1/events (CONTRACT 8).
// Events are batched (every few seconds or 20 events) so a busy page costs one request,
// and the rest is flushed with sendBeacon when the page is hidden or left, when fetch
// may no longer run.

const BATCH = 20;
const INTERVAL_MS = 3000;
const MAX_QUEUE = 500;
const DWELL_MS = 1000; // an impression: at least half visible for one second

export class Telemetry {
  /** userId: a function returning the current user's UUID; lives as long as the page. */
  constructor(userId, endpoint = '/v1/events') {
    this.userId = userId;
    this.endpoint = endpoint;
    this.queue = [];
    this.timer = 0;
    this.seen = new Set(); // `${user}|${product}:${version}` reported once per page life
    this.watched = new Map(); // element -> {product, version, timer}
    this.io = typeof IntersectionObserver === 'function'
      ? new IntersectionObserver((entries) => this.onIntersect(entries), {
        threshold: [0, 0.25, 0.5, 0.75, 1],
      })
      : null;
    const leave = () => this.flush(true);
    addEventListener('pagehide', leave);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') leave();
      else for (const [el, w] of this.watched) this.watch(el, w.product, w.version);
    });
  }

  /** Queue one event; type is 'impression' | 'click' | 'dismiss'. */
  send(type, product, version, extra = {}) {
    const ev = { type, product, user_id: this.userId(), widget_version: version, ts: Date.now() };
    if (extra.component_id) ev.component_id = extra.component_id;
    if (extra.event) ev.event = extra.event;
    this.queue.push(ev);
    if (this.queue.length > MAX_QUEUE) this.queue.splice(0, this.queue.length - MAX_QUEUE);
    if (this.queue.length >= BATCH) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), INTERVAL_MS);
  }

  /** Send what is queued now; beacon=true when the page may be going away. */
  flush(beacon = false) {
    clearTimeout(this.timer);
    this.timer = 0;
    if (!this.queue.length) return;
    const batch = this.queue.splice(0, this.queue.length);
    const body = JSON.stringify({ events: batch });
    if (beacon && navigator.sendBeacon) {
      const blob = new Blob([body], { type: 'application/json' });
      if (navigator.sendBeacon(this.endpoint, blob)) return;
    }
    const retry = () => {
      this.queue.unshift(...batch);
      if (!this.timer) this.timer = setTimeout(() => this.flush(), INTERVAL_MS * 3);
    };
    fetch(this.endpoint, {
      method: 'POST', body, keepalive: true, headers: { 'content-type': 'application/json' },
    }).then((r) => { if (r.status >= 500 || r.status === 429) retry(); }, retry);
  }

  /** Watch a widget element for an impression of (product, version); call again on a new version. */
  watch(el, product, version) {
    if (!this.io) return;
    const old = this.watched.get(el);
    if (old) clearTimeout(old.timer);
    this.watched.set(el, { product, version, timer: 0 });
    this.io.unobserve(el); // re-observing delivers a fresh entry, so a visible widget restarts its dwell
    this.io.observe(el);
  }

  unwatch(el) {
    const w = this.watched.get(el);
    if (w) clearTimeout(w.timer);
    this.watched.delete(el);
    if (this.io) this.io.unobserve(el);
  }

  onIntersect(entries) {
    for (const e of entries) {
      const w = this.watched.get(e.target);
      if (!w) continue;
      const root = e.rootBounds ? e.rootBounds.height : innerHeight;
      // a widget taller than two screens can never be half visible: half a screen of it counts
      const visible = e.isIntersecting
        && (e.intersectionRatio >= 0.5 || e.intersectionRect.height >= root * 0.5);
      if (!visible) {
        clearTimeout(w.timer);
        w.timer = 0;
      } else if (!w.timer) {
        w.timer = setTimeout(() => this.impress(e.target, w), DWELL_MS);
      }
    }
  }

  impress(el, w) {
    w.timer = 0;
    if (this.watched.get(el) !== w || !el.isConnected || document.visibilityState === 'hidden') return;
    const key = `${this.userId()}|${w.product}:${w.version}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.send('impression', w.product, w.version);
  }
}
