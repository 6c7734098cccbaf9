// The phone pass app's service worker: keeps the app's files so that the pass opens with
// no network at all. Only the app's own files are cached; the enrolment call is not.
const CACHE = "portique-phone-1";
const FILES = [
  "/phone/",
  "/phone/app.js",
  "/phone/app.css",
  "/phone/manifest.webmanifest",
  "/phone/icon-192.png",
  "/phone/icon-512.png",
  "/phone/vendor/qrcode-generator/qrcode.mjs",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

// The cached file at once (the app works offline); a fresh copy, when the network
// answers, for the next opening.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!FILES.includes(url.pathname)) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(url.pathname);
      const fresh = fetch(event.request)
        .then((response) => {
          if (response.ok) cache.put(url.pathname, response.clone());
          return response;
        })
        .catch(() => cached);
      if (cached) {
        event.waitUntil(fresh);
        return cached;
      }
      return fresh;
    }),
  );
});
