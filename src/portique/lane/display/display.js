// The lane display: follows the lane's states (server-sent events) and shows one screen.
"use strict";
(() => {
  const main = document.getElementById("screen");
  const announce = document.getElementById("announce");
  const hint = document.getElementById("sound-hint");
  const hello = main.querySelector("#screen-grant .hello");
  const name = main.querySelector("#screen-grant .name");
  const SCREENS = new Set(["idle", "look", "grant", "deny", "refer"]);
  // Tones per screen: [frequency in Hz, start s, length s].
  const TONES = {
    look: [[523, 0, 0.12]],
    grant: [[660, 0, 0.12], [880, 0.14, 0.2]],
    deny: [[220, 0, 0.25], [220, 0.32, 0.25]],
    refer: [[440, 0, 0.15], [440, 0.22, 0.15]],
  };
  let audio = null;
  let backToIdle = null;

  function sound(screen) {
    if (!audio || audio.state !== "running" || !TONES[screen]) return;
    const now = audio.currentTime;
    for (const [frequency, start, length] of TONES[screen]) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.25, now + start);
      gain.gain.exponentialRampToValueAtTime(0.001, now + start + length);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(now + start);
      oscillator.stop(now + start + length);
    }
  }

  function show(state) {
    const screen = SCREENS.has(state.screen) ? state.screen : "idle";
    clearTimeout(backToIdle);
    if (screen === "grant") {
      const first = typeof state.first_name === "string" ? state.first_name : "";
      hello.textContent = first ? hello.dataset.hello + " " : hello.dataset.welcome;
      name.textContent = first;
    }
    for (const section of main.querySelectorAll("section")) {
      section.hidden = section.dataset.screen !== screen;
    }
    main.dataset.screen = screen;
    const message = document.querySelector("#screen-" + screen + " .message");
    announce.textContent = message ? message.textContent : "";
    sound(screen);
    if (screen !== "idle" && typeof state.hold_s === "number" && state.hold_s > 0) {
      backToIdle = setTimeout(() => show({ screen: "idle" }), state.hold_s * 1000);
    }
  }

  function enableSound() {
    if (!audio) {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      audio = new Context();
    }
    const started = audio.state === "running" ? Promise.resolve() : audio.resume();
    started.then(() => {
      if (audio.state === "running") hint.hidden = true;
    }).catch(() => {});
  }

  enableSound();  // a kiosk started with --autoplay-policy=no-user-gesture-required needs no touch
  for (const kind of ["pointerdown", "keydown"]) {
    document.addEventListener(kind, enableSound);
  }
  const events = new EventSource("events");
  events.addEventListener("state", (event) => {
    try {
      show(JSON.parse(event.data));
    } catch (error) {
      show({ screen: "idle" });
    }
  });
})();
