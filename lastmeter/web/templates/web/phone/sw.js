/* lastmeter officer's phone: service worker. Caches the page's own assets so the app opens
 * without a network; live data always comes from the network (API and websocket are never cached). */
const CACHE = "lastmeter-phone-{{ version }}";
const ASSETS = [{% for a in assets %}"{{ a|escapejs }}",{% endfor %}];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(event.request).then((hit) => hit || fetch(event.request)));
  } else if (url.pathname === "/phone/") {
    // The page itself: network first (it carries fresh state), the cached copy when offline.
    event.respondWith(
      fetch(event.request)
        .then((res) => { const copy = res.clone(); caches.open(CACHE).then((c) => c.put(event.request, copy)); return res; })
        .catch(() => caches.match(event.request))
    );
  }
});
