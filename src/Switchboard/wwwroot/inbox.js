// Inbox behaviour beyond live updates (app.js): keyboard shortcuts, SLA countdowns that tick, bulk selection and
// the notifications menu refresh. app.js adds the anti-forgery header to every state-changing fetch. No inline
// script: the page's CSP allows only this origin's files.
(function () {
  "use strict";

  // ---- SLA countdowns ----
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll("[data-due]")) {
      const due = Number(el.dataset.due);
      if (!due) continue;
      let d = Math.round((due - now) / 1000);
      const overdue = d < 0;
      d = Math.abs(d);
      const h = Math.floor(d / 3600), m = Math.floor((d % 3600) / 60), s = d % 60;
      const text = h > 0 ? h + "h " + pad(m) + "m" : m + "m " + pad(s) + "s";
      el.textContent = overdue ? "overdue " + text : "due in " + text;
      el.classList.toggle("overdue", overdue);
      el.classList.toggle("soon", !overdue && d < 15 * 60);
    }
  }
  tick();
  setInterval(tick, 1000);

  // ---- bulk selection ----
  const bulkForm = document.getElementById("bulk-form");
  function picked() {
    return [...document.querySelectorAll("#conversation-list input.pick:checked")].map((c) => c.value);
  }
  function updateBulk() {
    if (!bulkForm) return;
    const ids = picked();
    document.getElementById("bulk-ids").value = ids.join(",");
    document.getElementById("bulk-count").textContent = ids.length + " selected";
    bulkForm.classList.toggle("active", ids.length > 0);
  }
  document.addEventListener("change", (e) => {
    if (e.target && e.target.classList && e.target.classList.contains("pick")) updateBulk();
  });
  if (bulkForm) bulkForm.addEventListener("submit", updateBulk);

  // ---- notifications menu: refresh when the live stream says something changed ----
  const slot = document.getElementById("notifications-slot");
  async function refreshNotifications() {
    if (!slot) return;
    const open = slot.querySelector("details[open]") !== null;
    const res = await fetch("/inbox/fragments/notifications", { credentials: "same-origin" });
    if (res.ok) {
      slot.innerHTML = await res.text();
      if (open) slot.querySelector("details").setAttribute("open", "");
    }
  }
  if (slot && window.EventSource) {
    const events = new EventSource("/inbox/events");
    events.addEventListener("changed", () => setTimeout(refreshNotifications, 300));
  }

  // ---- keyboard shortcuts ----
  const help = document.getElementById("shortcuts");
  function rows() { return [...document.querySelectorAll("#conversation-list li.row")]; }
  function current() {
    const all = rows();
    const i = all.findIndex((r) => r.classList.contains("cursor"));
    if (i >= 0) return i;
    return all.findIndex((r) => r.classList.contains("selected"));
  }
  function move(delta) {
    const all = rows();
    if (all.length === 0) return;
    let i = current();
    i = i < 0 ? 0 : Math.min(all.length - 1, Math.max(0, i + delta));
    const link = all[i].querySelector("a");
    if (link) location.href = link.getAttribute("href");
  }
  function typing(el) {
    if (!el) return false;
    const tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape") {
      if (help) help.hidden = true;
      if (typing(document.activeElement)) document.activeElement.blur();
      return;
    }
    if (typing(e.target)) return;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "r": {
        const composer = document.getElementById("composer-text");
        if (composer) { composer.focus(); e.preventDefault(); }
        break;
      }
      case "a": {
        const assign = document.getElementById("assign-to");
        if (assign) { assign.focus(); e.preventDefault(); }
        break;
      }
      case "e": {
        const resolve = document.getElementById("resolve-button");
        if (resolve) resolve.click();
        break;
      }
      case "x": {
        const all = rows();
        const i = current();
        const box = i >= 0 ? all[i].querySelector("input.pick") : null;
        if (box) { box.checked = !box.checked; updateBulk(); }
        break;
      }
      case "/": {
        const box = document.getElementById("search-box");
        if (box) { box.focus(); box.select(); e.preventDefault(); }
        break;
      }
      case "?":
        if (help) help.hidden = !help.hidden;
        break;
      default:
        return;
    }
  });
})();
