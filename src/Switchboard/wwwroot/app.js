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

  let pending = false;
  async function refresh() {
    if (pending) return;
    pending = true;
    try {
      await new Promise((r) => setTimeout(r, 200)); // coalesce bursts
      const known = new Set([...list.querySelectorAll("[data-conversation]")].map((li) => li.dataset.conversation));
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
    } finally {
      pending = false;
    }
  }

  const source = new EventSource("/inbox/events");
  source.addEventListener("changed", refresh);
  source.addEventListener("open", () => live.classList.remove("offline"));
  source.addEventListener("error", () => live.classList.add("offline"));
})();
