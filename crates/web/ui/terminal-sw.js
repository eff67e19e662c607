// The field terminal's service worker: keeps the page, its code and the map
// it has seen so that a reload in a tunnel still opens the terminal. The API
// is never cached: answers wait in the page's IndexedDB outbox instead.
const CACHE = 'pingan-terminal-v1';
const SHELL = ['/terminal', '/terminal.js', '/terminal.css', '/i18n.js', '/assets/ml/maplibre-gl.mjs', '/assets/ml/maplibre-gl.css', '/assets/ml/maplibre-gl-worker.mjs'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (e) => { e.waitUntil(self.clients.claim()); });
self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  // Network first (a new version shows at once), the cache when the network is gone.
  e.respondWith(fetch(e.request).then((res) => {
    if (res.ok) { const copy = res.clone(); caches.open(CACHE).then((c) => c.put(e.request, copy)); }
    return res;
  }).catch(() => caches.match(e.request).then((hit) => hit || Response.error())));
});
