"use strict";
// What waits for the agents, on every page: the counter in the bar, a visible signal and a
// distinct sound for each new referral, alert, lockdown or offline lane, and a system
// notification while the tab is in the background.
//
// Sounds are made with Web Audio (no file). Browsers let a page play sound only after the
// person did something on it: until then the sound button reads "Enable sound", and one
// press starts the audio (and asks for notifications). Muting is remembered on this device.
(() => {
  const counter = document.getElementById("waiting");
  const button = document.getElementById("sound");
  const signal = document.getElementById("signal");
  if (!counter || !button || !signal) return;
  const texts = button.dataset;
  const PREF = "portique-sound";
  const POLL_MS = 500;
  const title = document.title;

  // Each kind its own tune: [frequency Hz, start s, length s], and a wave shape.
  const TUNES = {
    referral: { wave: "sine", notes: [[660, 0, 0.14], [880, 0.16, 0.14], [660, 0.4, 0.14], [880, 0.56, 0.14]] },
    alert: { wave: "square", notes: [[1000, 0, 0.09], [1000, 0.14, 0.09], [1000, 0.28, 0.09]] },
    lockdown: { wave: "sawtooth", notes: [[440, 0, 0.25], [330, 0.28, 0.25], [440, 0.56, 0.25], [330, 0.84, 0.25]] },
    offline: { wave: "triangle", notes: [[587, 0, 0.2], [392, 0.24, 0.3]] },
  };

  let audio = null;
  const wanted = () => localStorage.getItem(PREF) !== "off";
  const playing = () => audio !== null && audio.state === "running";

  const showButton = () => {
    const on = wanted() && playing();
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.dataset.state = !wanted() ? "muted" : on ? "on" : "blocked";
    button.textContent = !wanted() ? texts.muted : on ? texts.on : texts.enable;
  };

  const startAudio = async () => {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (audio === null) audio = new Context();
    if (audio.state !== "running") await audio.resume();
  };

  button.addEventListener("click", async () => {
    if (wanted() && playing()) {
      localStorage.setItem(PREF, "off");
    } else {
      localStorage.setItem(PREF, "on");
      try { await startAudio(); } catch (_) { /* the browser refused: the button says so */ }
      if ("Notification" in window && Notification.permission === "default") {
        Notification.requestPermission().catch(() => {});
      }
    }
    showButton();
  });

  const play = (kind) => {
    signal.dataset.lastSound = kind;
    if (!wanted() || !playing()) return;
    const tune = TUNES[kind];
    const start = audio.currentTime + 0.02;
    for (const [frequency, at, length] of tune.notes) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = tune.wave;
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + at);
      gain.gain.exponentialRampToValueAtTime(0.3, start + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + at + length);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start + at);
      oscillator.stop(start + at + length + 0.02);
    }
  };

  const announce = (kind, detail) => {
    const message = detail ? `${texts[kind]} — ${detail}` : texts[kind];
    signal.textContent = message;
    signal.dataset.kind = kind;
    signal.hidden = false;
    play(kind);
    if (document.hidden && "Notification" in window && Notification.permission === "granted") {
      try { new Notification(texts.app, { body: message, tag: `portique-${kind}` }); } catch (_) {}
    }
  };

  const showCount = (count) => {
    counter.dataset.count = String(count);
    const number = counter.querySelector(".count");
    if (number) number.textContent = String(count);
    counter.classList.toggle("some", count > 0);
    document.title = count > 0 ? `(${count}) ${title}` : title;
    if (count === 0) signal.hidden = true;
  };

  let seen = null;
  const offline = new Set();
  let lockdown = null;

  const heard = (state) => {
    const fresh = state.latest.filter((item) => seen !== null && !seen.has(item.passage_id));
    if (seen !== null) {
      // A referral needs a decision: its sound comes before an alert's.
      const referral = fresh.find((item) => item.kind === "referral");
      if (referral) announce("referral", "");
      else if (fresh.length) announce("alert", "");
      const gone = state.offline_lanes.filter((lane) => !offline.has(lane));
      if (gone.length) announce("offline", gone.join(", "));
      if (state.lockdown && lockdown === false) announce("lockdown", "");
    }
    seen = new Set(state.latest.map((item) => item.passage_id));
    offline.clear();
    for (const lane of state.offline_lanes) offline.add(lane);
    lockdown = state.lockdown;
    showCount(state.count);
  };

  let stopped = false;
  const poll = async () => {
    try {
      const response = await fetch("/api/v1/alerts/waiting", {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (response.status === 401 || response.status === 403) { stopped = true; return; }
      if (response.ok) heard(await response.json());
    } catch (_) { /* the network is back at the next poll */ }
  };
  const loop = async () => {
    await poll();
    if (!stopped) setTimeout(loop, POLL_MS);
  };

  showButton();
  if (wanted()) startAudio().then(showButton, showButton);
  loop();
})();
