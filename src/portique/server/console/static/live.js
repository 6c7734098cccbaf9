"use strict";
// Live passages: server-sent events from /api/v1/passages/stream, one list per lane.
// Rows are built with textContent only, never innerHTML.
(() => {
  const texts = document.getElementById("texts")?.dataset ?? {};
  const status = document.getElementById("live-status");
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
  const canReview = document.body.dataset.review === "1";
  const lang = document.body.dataset.lang || "fr";

  const el = (tag, props = {}, children = []) => {
    const node = document.createElement(tag);
    Object.assign(node, props);
    for (const child of children) node.append(child);
    return node;
  };
  const clock = (iso) =>
    new Date(iso).toLocaleTimeString(lang === "en" ? "en-GB" : "fr-FR");
  const hidden = (name, value) => el("input", { type: "hidden", name, value });
  // Live regions: a screen reader hears each new passage, and each alert at once,
  // while the focus stays where the agent is.
  const say = (id, words) => {
    const region = document.getElementById(id);
    if (region) region.textContent = words;
  };
  const spoken = (p) => [p.outcome_label, p.person_name || texts.unknown, p.lane_id,
    ...p.reasons.map((r) => r.label)].join(", ");

  const actions = (p) => {
    const box = el("div", { className: "actions" });
    if (p.outcome === "refer") {
      const form = el("form", {
        method: "post", action: `/passages/${p.passage_id}/decision`, className: "decide",
      });
      const comment = el("input", {
        name: "comment", required: true, maxLength: 500, placeholder: texts.reason || "",
      });
      comment.setAttribute("aria-label", texts.reason || "");
      form.append(hidden("csrf", csrf), hidden("next", "/live"), comment,
        el("button", { type: "submit", name: "outcome", value: "grant", className: "grant",
          textContent: texts.grant }),
        el("button", { type: "submit", name: "outcome", value: "deny", className: "deny",
          textContent: texts.deny }));
      box.append(form);
    }
    const ack = el("form", {
      method: "post", action: `/alerts/${p.passage_id}/acknowledge`, className: "inline",
    });
    ack.append(hidden("csrf", csrf), hidden("next", "/live"),
      el("button", { type: "submit", textContent: texts.acknowledge }));
    box.append(ack);
    return box;
  };

  const row = (p) => {
    const item = el("li", {
      className: `passage ${p.outcome}${p.needs_review ? " waiting" : ""}`,
      id: `p-${p.passage_id}`,
    });
    const time = el("time", { textContent: clock(p.time) });
    time.setAttribute("datetime", p.time);
    item.append(el("div", { className: "line" }, [
      time,
      el("span", { className: "outcome", textContent: p.outcome_label }),
      el("span", { className: "person", textContent: p.person_name || texts.unknown }),
      el("span", { className: "lane-id", textContent: p.lane_id }),
    ]));
    item.append(el("ul", { className: "reasons" },
      p.reasons.map((r) => el("li", { textContent: r.label }))));
    if (p.review) {
      const r = p.review;
      const what = r.outcome === "grant" ? texts.manualGrant
        : r.outcome === "deny" ? texts.manualDeny : texts.acknowledged;
      const comment = !r.comment ? ""
        : lang === "en" ? `: “${r.comment}”` : `\u00a0: «\u00a0${r.comment}\u00a0»`;
      item.append(el("p", { className: "review",
        textContent: `${what} — ${texts.handled} ${r.reviewed_by}, ${clock(r.reviewed_at)}${comment}` }));
    } else if (p.needs_review && canReview) {
      item.append(actions(p));
    }
    return item;
  };

  const show = (p) => {
    const list = document.getElementById(`lane-${p.lane_id}`);
    if (!list) return;
    const fresh = row(p);
    const old = document.getElementById(fresh.id);
    if (old) {
      // Keep what the agent is typing in a decision form; replace only answered rows.
      if (p.review) old.replaceWith(fresh);
      return;
    }
    list.prepend(fresh);
    if (p.needs_review) say("announce-alert", `${texts.newAlert} ${spoken(p)}`);
    else say("announce", spoken(p));
    list.parentElement.querySelector(".empty")?.remove();
    while (list.children.length > 50) list.lastElementChild.remove();
  };

  const source = new EventSource("/api/v1/passages/stream");
  const connected = (on) => {
    if (!status) return;
    status.textContent = on ? status.dataset.on : status.dataset.off;
    status.dataset.state = on ? "on" : "off";
  };
  source.addEventListener("open", () => connected(true));
  source.addEventListener("error", () => connected(false));
  source.addEventListener("passage", (event) => show(JSON.parse(event.data)));
  // Alerts as they are raised: an offline lane, a visit's (overstay, closing time...).
  const alertTexts = document.getElementById("alert-texts")?.dataset ?? {};
  source.addEventListener("alert", (event) => {
    const a = JSON.parse(event.data);
    const list = document.getElementById("live-alerts");
    if (!list) return;
    // A stream that reconnects tells the alerts still open again: each is shown once.
    const key = a.kind === "lane_offline" ? `alert-lane-${a.lane_id}-${a.last_seen_at}`
      : `alert-visit-${a.alert_id}`;
    if (document.getElementById(key)) return;
    const what = a.label || alertTexts[a.kind] || a.kind;
    const who = a.kind === "lane_offline" ? (a.name || a.lane_id) : a.visitor_name;
    const when = a.kind === "lane_offline" ? a.last_seen_at : a.raised_at;
    const time = el("time", { textContent: clock(when) });
    time.setAttribute("datetime", when);
    list.prepend(el("li", { className: "passage alert", id: key }, [
      el("div", { className: "line" }, [
        time, el("span", { className: "outcome", textContent: what }),
        el("span", { className: "person", textContent: who || "" }),
      ]),
    ]));
    while (list.children.length > 20) list.lastElementChild.remove();
  });
  source.addEventListener("lockdown", (event) => {
    const state = JSON.parse(event.data);
    const banner = document.getElementById("lockdown-banner");
    if (!banner) return;
    if (banner.hidden === Boolean(state.in_force)) {
      say(state.in_force ? "announce-alert" : "announce",
        state.in_force ? `${texts.lockdown} ${clock(state.since)}` : texts.lockdownOver);
    }
    banner.hidden = !state.in_force;
    const since = document.getElementById("lockdown-since");
    if (since && state.since) since.textContent = clock(state.since);
  });
})();
