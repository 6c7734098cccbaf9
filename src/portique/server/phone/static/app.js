// The phone pass app: enrols this phone once, then shows its living QR code, offline.
//
// Enrolment: the one-time link's secret comes in the page's fragment (#enrol=...), which
// the browser never sends to a server. The phone makes a key pair with WebCrypto, the
// private key not extractable (Ed25519 where the browser has it, else ECDSA P-256), keeps
// it in IndexedDB, and sends only the public key. The site answers with the phone pass
// (the signed credential), which the app keeps beside the key.
//
// The living code, every 5 seconds: 0xFC, version 1, the time (uint32, Unix seconds), the
// phone's 64-byte signature of (site, credential, time), then the credential. See
// docs/credential-format.md ("Phone pass") for the layout, byte for byte.
import qrcode from "/phone/vendor/qrcode-generator/qrcode.mjs";

const REFRESH_MS = 5000;
const CODE_MAGIC = 0xfc;
const CODE_VERSION = 1;
const CONTEXT = "portique-phone-code";
const DB_NAME = "portique-phone";
const STORE = "pass";
const KEY = "current";
const LANG_KEY = "portique-phone-lang";
const SCALE = 8;
const QUIET = 4;

const TEXTS = {
  fr: {
    skip: "Aller au contenu",
    title: "Mon titre d'accès",
    loading: "Ouverture du titre…",
    enrol_title: "Enrôler ce téléphone",
    enrol_help:
      "Ce téléphone va créer une clé secrète qui ne le quittera jamais, puis recevoir votre titre d'accès. Le lien ne sert qu'une fois.",
    enrol_button: "Enrôler ce téléphone",
    enrolling: "Enrôlement en cours…",
    enrolled: "Ce téléphone porte maintenant votre titre d'accès. Il fonctionne même sans réseau.",
    enrol_failed: "L'enrôlement a échoué :",
    offline_enrol: "Pas de réseau : l'enrôlement a besoin d'une connexion, une seule fois.",
    code_caption:
      "Présentez l'écran au lecteur de la voie. Le code change toutes les 5 secondes : une capture d'écran ne sert à rien.",
    code_label: (name) =>
      `QR code d'accès de ${name}, renouvelé toutes les 5 secondes. Présentez l'écran au lecteur de la voie.`,
    valid_until: (day) => `Valable jusqu'au ${day}`,
    expired: "Ce titre a expiré : demandez-en un nouveau à l'administration.",
    phone_time: "Heure du téléphone :",
    remove_title: "Retirer le titre de ce téléphone",
    remove_help:
      "Le titre et sa clé seront effacés de ce téléphone. Pour en retrouver un, il faudra un nouveau lien de l'administration.",
    remove_button: "Effacer le titre",
    removed: "Le titre a été effacé de ce téléphone.",
    empty_title: "Aucun titre sur ce téléphone",
    empty_help:
      "Demandez à l'administration de l'établissement un lien d'enrôlement, puis ouvrez-le sur ce téléphone.",
    unsupported_title: "Navigateur non pris en charge",
    unsupported_help:
      "Ce navigateur ne sait pas garder une clé secrète. Ouvrez le lien avec un navigateur récent (Chrome, Firefox, Safari), sur une adresse https.",
    language_name: "Français",
    date_locale: "fr-FR",
  },
  en: {
    skip: "Skip to content",
    title: "My access pass",
    loading: "Opening the pass…",
    enrol_title: "Enrol this phone",
    enrol_help:
      "This phone will make a secret key that never leaves it, then receive your access pass. The link works once only.",
    enrol_button: "Enrol this phone",
    enrolling: "Enrolling…",
    enrolled: "This phone now carries your access pass. It works even without a network.",
    enrol_failed: "Enrolment failed:",
    offline_enrol: "No network: enrolment needs a connection, once.",
    code_caption:
      "Show the screen to the lane's reader. The code changes every 5 seconds: a screenshot is of no use.",
    code_label: (name) =>
      `Access QR code of ${name}, renewed every 5 seconds. Show the screen to the lane's reader.`,
    valid_until: (day) => `Valid until ${day}`,
    expired: "This pass has expired: ask the administration for a new one.",
    phone_time: "Phone's time:",
    remove_title: "Remove the pass from this phone",
    remove_help:
      "The pass and its key will be erased from this phone. To get one again, you will need a new link from the administration.",
    remove_button: "Erase the pass",
    removed: "The pass was erased from this phone.",
    empty_title: "No pass on this phone",
    empty_help: "Ask the school's administration for an enrolment link, then open it on this phone.",
    unsupported_title: "Browser not supported",
    unsupported_help:
      "This browser cannot keep a secret key. Open the link in a recent browser (Chrome, Firefox, Safari), at an https address.",
    language_name: "English",
    date_locale: "en-GB",
  },
};

const state = { lang: "fr", pass: null, token: null, timer: null };
const $ = (id) => document.getElementById(id);

function t(key, ...args) {
  const value = TEXTS[state.lang][key];
  return typeof value === "function" ? value(...args) : value;
}

// Language ------------------------------------------------------------------------------

function chooseLanguage() {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === "fr" || saved === "en") return saved;
  const first = (navigator.languages && navigator.languages[0]) || navigator.language || "fr";
  return first.toLowerCase().startsWith("en") ? "en" : "fr";
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.title = `${t("title")} — Portique`;
  for (const element of document.querySelectorAll("[data-t]")) {
    element.textContent = t(element.dataset.t);
  }
  const other = state.lang === "fr" ? "en" : "fr";
  $("lang").textContent = TEXTS[other].language_name;
  $("lang").lang = other;
  if (state.pass) showPass(state.pass);
}

// The key and the pass, kept in IndexedDB ---------------------------------------------------

function database() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function stored(mode, action) {
  const db = await database();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

const loadPass = () => stored("readonly", (store) => store.get(KEY));
const savePass = (pass) => stored("readwrite", (store) => store.put(pass, KEY));
const erasePass = () => stored("readwrite", (store) => store.delete(KEY));

// Enrolment ---------------------------------------------------------------------------------

async function makeKeyPair() {
  try {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    return { pair, algorithm: "Ed25519" };
  } catch {
    const pair = await crypto.subtle.generateKey(
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["sign", "verify"],
    );
    return { pair, algorithm: "ECDSA-P256" };
  }
}

function base64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

async function enrol() {
  const button = $("enrol-button");
  button.disabled = true;
  say(t("enrolling"));
  try {
    const { pair, algorithm } = await makeKeyPair();
    const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    const response = await fetch("/api/v1/phone/enrol", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Language": state.lang },
      body: JSON.stringify({ token: state.token, algorithm, public_key: base64url(publicKey) }),
      credentials: "omit",
      cache: "no-store",
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.message || response.statusText);
    const pass = {
      algorithm,
      privateKey: pair.privateKey,
      payload: fromBase64url(answer.payload),
      credentialId: answer.credential_id,
      siteId: answer.site_id,
      name: answer.name,
      siteName: answer.site_name,
      validUntil: answer.valid_until,
    };
    await savePass(pass);
    state.token = null;
    say(t("enrolled"));
    showPass(pass);
  } catch (error) {
    button.disabled = false;
    const message = navigator.onLine ? error.message : t("offline_enrol");
    say(`${t("enrol_failed")} ${message}`);
  }
}

// The living code ---------------------------------------------------------------------------

function ascii(text) {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

function uint32(value) {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

function codeMessage(siteId, credentialId, seconds) {
  const site = ascii(siteId);
  const credential = ascii(credentialId);
  return Uint8Array.from([
    ...ascii(CONTEXT),
    CODE_VERSION,
    site.length,
    ...site,
    credential.length,
    ...credential,
    ...uint32(seconds),
  ]);
}

async function livingCode(pass, seconds) {
  const algorithm =
    pass.algorithm === "Ed25519" ? { name: "Ed25519" } : { name: "ECDSA", hash: "SHA-256" };
  const message = codeMessage(pass.siteId, pass.credentialId, seconds);
  const signature = new Uint8Array(await crypto.subtle.sign(algorithm, pass.privateKey, message));
  return Uint8Array.from([CODE_MAGIC, CODE_VERSION, ...uint32(seconds), ...signature, ...pass.payload]);
}

function drawCode(bytes) {
  const code = qrcode(0, "M");
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  code.addData(binary, "Byte");
  code.make();
  const modules = code.getModuleCount();
  const canvas = $("code");
  const size = (modules + 2 * QUIET) * SCALE;
  canvas.width = size;
  canvas.height = size;
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, size, size);
  context.fillStyle = "#000000";
  for (let row = 0; row < modules; row += 1) {
    for (let col = 0; col < modules; col += 1) {
      if (code.isDark(row, col)) {
        context.fillRect((col + QUIET) * SCALE, (row + QUIET) * SCALE, SCALE, SCALE);
      }
    }
  }
  canvas.dataset.version = String((modules - 17) / 4);
  canvas.dataset.time = String(Number(canvas.dataset.pending));
}

async function refresh() {
  const pass = state.pass;
  if (!pass) return;
  const now = Date.now();
  $("clock").textContent = new Date(now).toLocaleTimeString(t("date_locale"));
  $("clock").dateTime = new Date(now).toISOString();
  const expired = now > Date.parse(pass.validUntil);
  $("expired").hidden = !expired;
  $("code").hidden = expired;
  if (expired) return;
  const seconds = Math.floor(now / 1000);
  $("code").dataset.pending = String(seconds);
  drawCode(await livingCode(pass, seconds));
}

// Screens -----------------------------------------------------------------------------------

function say(message) {
  $("status").textContent = message;
}

function show(id) {
  for (const section of ["loading", "enrol", "pass", "empty", "unsupported"]) {
    $(section).hidden = section !== id;
  }
}

function showPass(pass) {
  state.pass = pass;
  show("pass");
  $("pass-name").textContent = pass.name;
  $("pass-site").textContent = pass.siteName;
  $("code").setAttribute("aria-label", t("code_label", pass.name));
  const day = new Date(pass.validUntil).toLocaleDateString(t("date_locale"), {
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    timeZone: "Europe/Paris",
  });
  $("valid-until").textContent = t("valid_until", day);
  if (state.timer === null) {
    state.timer = setInterval(() => refresh().catch(() => {}), REFRESH_MS);
  }
  refresh().catch(() => {});
}

async function remove() {
  await erasePass();
  clearInterval(state.timer);
  state.timer = null;
  state.pass = null;
  say(t("removed"));
  show("empty");
}

async function start() {
  state.lang = chooseLanguage();
  applyLanguage();
  $("lang").addEventListener("click", () => {
    state.lang = state.lang === "fr" ? "en" : "fr";
    localStorage.setItem(LANG_KEY, state.lang);
    applyLanguage();
  });
  $("enrol-button").addEventListener("click", enrol);
  $("remove-button").addEventListener("click", () => remove().catch((e) => say(e.message)));
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/phone/sw.js", { scope: "/phone/" }).catch(() => {});
  }
  // The link's secret is read once, then taken out of the address bar and the history.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.has("enrol")) {
    state.token = fragment.get("enrol");
    history.replaceState(null, "", location.pathname);
  }
  if (!window.isSecureContext || !window.crypto || !crypto.subtle || !window.indexedDB) {
    show("unsupported");
    return;
  }
  const pass = await loadPass();
  if (state.token) show("enrol");
  else if (pass) showPass(pass);
  else show("empty");
}

start().catch((error) => say(error.message));
