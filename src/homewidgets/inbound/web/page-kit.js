// Small parts of the home page kept apart from app.js: the demo identities, new user
// ids, product icons and the theme toggle.

export const DEMO_USERS = [
  { id: '6f1c2a4e-1b7d-4c8e-9a51-3d2b7e0c9f11', name: 'Anna Schmidt' },
  { id: '2d9e8f70-5a43-4b1e-8c6d-7f0a1b2c3d44', name: 'Jonas Weber' },
  { id: 'a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c66', name: 'Mia Fischer' },
];
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ICONS = {
  car_insurance: 'M3 13l2-6h14l2 6v4H3zM3 13h18M7 17v2M17 17v2M7 15h.01M17 15h.01',
  energy: 'M13 2L4 14h7l-1 8 9-12h-7z',
  dsl: 'M2 9a15 15 0 0 1 20 0M5 12.5a10 10 0 0 1 14 0M8.5 16a5 5 0 0 1 7 0M12 19.5h.01',
  mobile: 'M7 2h10v20H7zM11 18h2',
  flights: 'M2 13l20-7-5 14-4-5-4 3 1-5z',
  hotels: 'M3 19V6M3 15h18v4M21 15v-3a3 3 0 0 0-3-3h-8v6M6.5 12h.01',
  credit_card: 'M2 6h20v12H2zM2 10h20M6 15h4',
  travel: 'M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM12 2v3M12 19v3M2 12h3M19 12h3M5 5l2 2M17 17l2 2M5 19l2-2M17 7l2-2',
};
const DEFAULT_ICON = 'M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z';

export function newUserId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const x = [...b].map((n) => n.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export function icon(product) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[product] || DEFAULT_ICON);
  svg.append(path);
  return svg;
}

export function setupTheme(store) {
  const $ = (id) => document.getElementById(id);
  const btn = $('theme');
  const dark = () => document.documentElement.dataset.theme === 'dark'
    || (!document.documentElement.dataset.theme && matchMedia('(prefers-color-scheme: dark)').matches);
  const label = () => btn.setAttribute('aria-label', dark() ? 'Switch to light theme' : 'Switch to dark theme');
  btn.addEventListener('click', () => {
    const next = dark() ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    store.setItem('hw.theme', next);
    label();
  });
  label();
}
