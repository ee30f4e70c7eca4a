// Reply composer: drafts saved as you type, live compliance check with the reason next to the offending words,
// canned replies by keyboard ("/" or Ctrl+Space → arrows → Enter), Ctrl+Enter to send, collision confirmation,
// presence of other agents, and live reply status. No inline script: the page runs under script-src 'self'.
(function () {
  "use strict";
  const root = document.getElementById("composer");
  if (!root) return;

  const conversation = root.dataset.conversation;
  let openedAt = Number(root.dataset.openedAt);
  const max = Number(root.dataset.max);
  const text = document.getElementById("composer-text");
  const check = document.getElementById("composer-check");
  const count = document.getElementById("composer-count");
  const status = document.getElementById("composer-status");
  const sendButton = document.getElementById("composer-send");
  const menu = document.getElementById("composer-canned");
  const presence = document.getElementById("composer-presence");
  const replies = document.getElementById("composer-replies");
  const dialog = document.getElementById("composer-confirm");
  const json = { "Content-Type": "application/json" };

  function debounce(fn, ms) {
    let t;
    return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  }

  function say(message, kind) {
    if (!status) return;
    status.textContent = message;
    status.className = "composer-status" + (kind ? " " + kind : "");
  }

  async function problemOf(res) {
    try { return await res.json(); } catch { return { detail: res.status + " " + res.statusText }; }
  }

  // ---- live reply list and presence -------------------------------------------------------------------------
  async function refreshReplies() {
    const res = await fetch("/composer/fragments/replies?conversation=" + conversation, { credentials: "same-origin" });
    if (res.ok) replies.innerHTML = await res.text();
  }

  replies.addEventListener("click", async (e) => {
    const button = e.target.closest("[data-retry]");
    if (!button) return;
    button.disabled = true;
    const res = await fetch("/api/replies/" + button.dataset.retry + "/retry", { method: "POST", credentials: "same-origin", headers: json, body: "{}" });
    const body = await problemOf(res);
    say(res.ok ? "Retry: " + body.outcome : body.detail, res.ok ? "" : "error");
    await refreshReplies();
  });

  function renderPresence(others) {
    presence.textContent = "";
    if (!others.length) return;
    const label = document.createElement("span");
    label.textContent = "Also here: ";
    presence.appendChild(label);
    for (const p of others) {
      const who = document.createElement("span");
      who.className = "presence-user" + (p.typing ? " typing" : "");
      who.dataset.user = p.userId;
      who.textContent = p.name + (p.typing ? " (typing…)" : "");
      presence.appendChild(who);
    }
  }

  const events = new EventSource("/composer/events?conversation=" + conversation);
  events.addEventListener("presence", (e) => renderPresence(JSON.parse(e.data)));
  events.addEventListener("changed", refreshReplies);

  if (!text) return; // read-only role: list and presence only

  // ---- counter, live compliance check, draft ----------------------------------------------------------------
  function length(s) { return [...s].length; }

  function updateCount() {
    const n = length(text.value);
    count.textContent = n + " / " + max;
    count.classList.toggle("over", n > max);
  }

  function renderFindings(value, findings) {
    check.textContent = "";
    if (!findings.length) return;
    // The text with each offending span marked and its reason right after it.
    const preview = document.createElement("p");
    preview.className = "check-preview";
    const spans = findings.filter((f) => f.length > 0).sort((a, b) => a.start - b.start);
    let at = 0;
    for (const f of spans) {
      if (f.start < at) continue; // overlapping findings: the first one is shown in place
      preview.appendChild(document.createTextNode(value.slice(at, f.start)));
      const mark = document.createElement("mark");
      mark.className = "finding finding-" + f.severity;
      mark.dataset.rule = f.rule;
      mark.textContent = value.slice(f.start, f.start + f.length);
      preview.appendChild(mark);
      const reason = document.createElement("span");
      reason.className = "finding-reason finding-" + f.severity;
      reason.textContent = (f.severity === "block" ? "Blocked: " : "Needs review: ") + f.reason;
      preview.appendChild(reason);
      at = f.start + f.length;
    }
    preview.appendChild(document.createTextNode(value.slice(at)));
    check.appendChild(preview);
    for (const f of findings.filter((f) => f.length === 0)) {
      const missing = document.createElement("p");
      missing.className = "finding-reason finding-" + f.severity;
      missing.textContent = (f.severity === "block" ? "Blocked: " : "Needs review: ") + f.reason;
      check.appendChild(missing);
    }
  }

  let checked = 0;
  const runCheck = debounce(async () => {
    const value = text.value;
    const ticket = ++checked;
    const res = await fetch("/api/compliance/check?conversationId=" + conversation, {
      method: "POST", credentials: "same-origin", headers: json, body: JSON.stringify({ text: value }),
    });
    if (!res.ok || ticket !== checked) return; // a newer keystroke's check wins
    const body = await res.json();
    renderFindings(value, body.findings);
    root.dataset.outcome = body.outcome;
  }, 250);

  const saveDraft = debounce(async () => {
    const res = await fetch("/api/conversations/" + conversation + "/draft", {
      method: "PUT", credentials: "same-origin", headers: json, body: JSON.stringify({ text: text.value }),
    });
    root.dataset.draftSaved = res.ok ? "1" : "0";
  }, 500);

  let lastTyping = 0;
  function typing() {
    const now = Date.now();
    if (now - lastTyping < 2000) return;
    lastTyping = now;
    fetch("/api/conversations/" + conversation + "/presence", { method: "POST", credentials: "same-origin", headers: json, body: "{}" });
  }

  text.addEventListener("input", (e) => {
    // "/" at the start or after a space opens the canned replies. Decided on the input event, where the slash is
    // already in the text: a timer started on keydown could run after the next keystrokes (chromium serves input
    // before timers under load) and then look for the slash in the wrong place.
    if (e.inputType === "insertText" && e.data === "/" && menu.hidden) {
      const at = text.selectionStart - 1;
      if (at === 0 || /\s/.test(text.value[at - 1])) openMenu(at);
    }
    updateCount();
    root.dataset.draftSaved = "0";
    saveDraft();
    runCheck();
    typing();
    filterMenu();
  });

  // ---- canned replies ---------------------------------------------------------------------------------------
  let menuStart = -1; // where the "/query" token starts in the textarea, or -1 when opened with Ctrl+Space
  let active = 0;

  function items() { return [...menu.querySelectorAll("[data-canned]")].filter((li) => !li.hidden); }

  function openMenu(start) {
    menuStart = start;
    menu.hidden = false;
    active = 0;
    filterMenu();
  }

  function closeMenu() { menu.hidden = true; menuStart = -1; }

  function query() {
    if (menuStart < 0) return "";
    return text.value.slice(menuStart + 1, text.selectionStart).toLowerCase();
  }

  function filterMenu() {
    if (menu.hidden) return;
    if (menuStart >= 0 && (text.selectionStart <= menuStart || text.value[menuStart] !== "/" || /\s/.test(query()))) {
      closeMenu();
      return;
    }
    const q = query();
    for (const li of menu.querySelectorAll("[data-canned]")) li.hidden = !li.dataset.shortcut.startsWith(q);
    const visible = items();
    active = Math.min(active, Math.max(0, visible.length - 1));
    visible.forEach((li, i) => li.setAttribute("aria-selected", i === active ? "true" : "false"));
  }

  async function insert(li) {
    const res = await fetch("/api/canned-replies/" + li.dataset.canned + "/render", {
      method: "POST", credentials: "same-origin", headers: json, body: JSON.stringify({ conversationId: Number(conversation) }),
    });
    const body = await problemOf(res);
    if (!res.ok) {
      say("Canned reply /" + li.dataset.shortcut + ": " + body.detail, "error");
      closeMenu();
      return;
    }
    const start = menuStart >= 0 ? menuStart : text.selectionStart;
    const end = text.selectionStart;
    text.value = text.value.slice(0, start) + body.text + text.value.slice(end);
    text.selectionStart = text.selectionEnd = start + body.text.length;
    closeMenu();
    text.dispatchEvent(new Event("input"));
    say("Inserted /" + li.dataset.shortcut);
  }

  menu.addEventListener("mousedown", (e) => {
    const li = e.target.closest("[data-canned]");
    if (li) { e.preventDefault(); insert(li); }
  });

  text.addEventListener("keydown", (e) => {
    if (!menu.hidden) {
      const visible = items();
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : visible.length - 1)) % Math.max(1, visible.length);
        filterMenu();
        return;
      }
      if ((e.key === "Enter" || e.key === "Tab") && visible.length) {
        e.preventDefault();
        insert(visible[active]);
        return;
      }
      if (e.key === "Escape") { e.preventDefault(); closeMenu(); return; }
    }
    if (e.key === " " && e.ctrlKey) {
      e.preventDefault();
      openMenu(-1);
      return;
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      send(false);
    }
  });

  // ---- sending ----------------------------------------------------------------------------------------------
  let sending = false;
  async function send(confirm) {
    if (sending) return;
    const value = text.value;
    if (!value.trim()) { say("Write something first.", "error"); return; }
    sending = true;
    sendButton.disabled = true;
    say("Sending…");
    try {
      const res = await fetch("/api/conversations/" + conversation + "/replies", {
        method: "POST", credentials: "same-origin", headers: json,
        body: JSON.stringify({ text: value, openedAt, confirm }),
      });
      const body = await problemOf(res);
      if (res.status === 409 && body.newer) {
        document.getElementById("composer-confirm-text").textContent =
          body.detail + " " + body.newer.map((n) => n.by + ": “" + n.text + "”").join(" ");
        dialog.showModal();
        say("Someone else replied meanwhile.", "error");
        return;
      }
      if (res.status === 422 && body.findings) {
        renderFindings(value, body.findings);
        say("Blocked by compliance: fix the marked words.", "error");
        return;
      }
      if (!res.ok) { say(body.detail || "The reply was not sent.", "error"); return; }
      text.value = "";
      updateCount();
      check.textContent = "";
      openedAt = Date.now(); // we have now seen everything up to our own reply
      say(body.outcome === "sent" ? "Sent." : body.outcome === "pending_approval" ? "Waiting for approval: " + (body.detail || "")
        : "Not sent (" + body.outcome + "): " + (body.detail || ""), body.outcome === "sent" || body.outcome === "pending_approval" ? "ok" : "error");
      await refreshReplies();
    } finally {
      sending = false;
      sendButton.disabled = false;
    }
  }

  sendButton.addEventListener("click", () => send(false));
  document.getElementById("composer-confirm-send").addEventListener("click", () => { dialog.close(); send(true); });
  document.getElementById("composer-confirm-cancel").addEventListener("click", () => { dialog.close(); say("Not sent."); });

  updateCount();
  if (text.value) runCheck();
})();
