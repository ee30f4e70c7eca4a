// Anti-forgery for every script: a same-origin request that changes state carries the page's token as a header
// (the server refuses cookie-authenticated POST/PUT/DELETE without it). Wrapping fetch once here means no feature
// script can forget it. The token comes from the sign-out form every signed-in page renders.
(function () {
  "use strict";
  const plain = window.fetch.bind(window);
  window.fetch = function (input, init) {
    const o = Object.assign({}, init || {});
    const method = (o.method || "GET").toUpperCase();
    const url = new URL(typeof input === "string" ? input : input.url, location.href);
    if (method !== "GET" && method !== "HEAD" && url.origin === location.origin) {
      const field = document.querySelector("input[name=__RequestVerificationToken]");
      if (field) {
        const headers = new Headers(o.headers || {});
        if (!headers.has("RequestVerificationToken")) headers.set("RequestVerificationToken", field.value);
        o.headers = headers;
      }
      if (!o.credentials) o.credentials = "same-origin";
    }
    return plain(input, o);
  };
})();

// Live inbox: listens to the server's event stream and swaps in freshly rendered HTML fragments.
// Kept small and dependency-free so the page runs under a CSP that allows only this origin's scripts.
(function () {
  "use strict";
  const inbox = document.getElementById("inbox");
  if (!inbox) return;

  const list = document.getElementById("conversation-list");
  const teams = document.getElementById("team-list");
  const live = document.getElementById("live");
  const params = new URLSearchParams({ queue: inbox.dataset.queue || "all" });
  if (inbox.dataset.team) params.set("team", inbox.dataset.team);
  if (inbox.dataset.topic) params.set("topic", inbox.dataset.topic);
  if (inbox.dataset.selected) params.set("selected", inbox.dataset.selected);
  // List filters in the page's address (labels, topics, views…) apply to the live refresh too.
  new URLSearchParams(location.search).forEach((v, k) => { if (k !== "cursor" && !params.has(k)) params.set(k, v); });
  // Only the first page refreshes live: an older page stays put while the reader is on it.
  const onFirstPage = !new URLSearchParams(location.search).has("cursor");

  // A change announced while a refresh is in flight may not be in the fragment that refresh fetched: it is
  // remembered and fetched again afterwards. (Dropping it left a conversation out of the list until the next
  // change when several arrived within a few hundred milliseconds.)
  let pending = false;
  let again = false;
  async function refresh() {
    if (pending) { again = true; return; }
    pending = true;
    // Rows new since this refresh began stay marked as fresh through its repeats.
    const known = new Set([...list.querySelectorAll("[data-conversation]")].map((li) => li.dataset.conversation));
    try {
      do {
        again = false;
        await new Promise((r) => setTimeout(r, 200)); // coalesce bursts
        if (onFirstPage) {
          const res = await fetch("/inbox/fragments/list?" + params, { credentials: "same-origin" });
          if (res.ok) {
            list.innerHTML = await res.text();
            for (const li of list.querySelectorAll("[data-conversation]")) {
              if (!known.has(li.dataset.conversation)) li.classList.add("fresh");
            }
          }
        }
        const t = await fetch("/inbox/fragments/teams?" + new URLSearchParams({ team: inbox.dataset.team || "" }), { credentials: "same-origin" });
        if (t.ok) teams.innerHTML = await t.text();
      } while (again);
    } finally {
      pending = false;
    }
  }

  const source = new EventSource("/inbox/events");
  source.addEventListener("changed", refresh);
  source.addEventListener("open", () => live.classList.remove("offline"));
  source.addEventListener("error", () => live.classList.add("offline"));
})();
