// Listening topics: the inbox's topic selector, and the topic form's inline syntax errors and live preview.
// Everything is built with DOM calls and textContent: post text and queries are never parsed as HTML.
(function () {
  "use strict";

  const filter = document.getElementById("topic-filter");
  if (filter) filter.addEventListener("change", () => filter.form.submit());

  const form = document.getElementById("topic-form");
  if (!form) return;
  const query = document.getElementById("topic-query");
  const error = document.getElementById("query-error");
  const count = document.getElementById("preview-count");
  const list = document.getElementById("preview-list");

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Shows "reason at column N" and the query with the offending character marked (a space past the end).
  function showError(text, column, reason) {
    error.replaceChildren();
    const chars = Array.from(text); // columns count UTF-16 units; Array.from keeps emoji whole for display
    let units = 0, at = chars.length;
    for (let i = 0; i < chars.length; i++) {
      if (units >= column - 1) { at = i; break; }
      units += chars[i].length;
    }
    error.append(el("span", "reason", reason + " at column " + column));
    const pointer = el("code", "pointer");
    pointer.append(chars.slice(0, at).join(""), el("mark", null, at < chars.length ? chars[at] : " "), chars.slice(at + 1).join(""));
    error.append(pointer);
    error.hidden = false;
  }

  function showPreview(result) {
    error.hidden = true;
    error.replaceChildren();
    count.textContent = result.matchCount + " of " + result.scanned + " recent posts match";
    list.replaceChildren();
    for (const p of result.posts) {
      const li = el("li", "preview-post");
      li.dataset.message = p.messageId;
      const head = el("div", "preview-head");
      head.append(el("strong", null, p.author || "unknown"), " ", el("span", "channel ch-" + p.channel, p.channel));
      const body = el("p", "text");
      for (const s of p.segments) body.append(s.hit ? el("mark", null, s.text) : document.createTextNode(s.text));
      const link = el("a", "open", "Open conversation");
      link.href = "/conversations/" + p.conversationId;
      li.append(head, body, link);
      list.append(li);
    }
  }

  let timer = 0;
  let inflight = null;
  async function check() {
    const text = query.value;
    if (inflight) inflight.abort();
    if (!text.trim()) {
      error.hidden = true;
      count.textContent = "";
      list.replaceChildren();
      return;
    }
    inflight = new AbortController();
    try {
      const res = await fetch("/api/topics/preview", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ query: text, limit: 20 }),
        signal: inflight.signal,
      });
      const body = await res.json();
      if (query.value !== text) return; // typed on meanwhile
      if (res.ok) showPreview(body);
      else if (body.column) { showError(text, body.column, body.reason); count.textContent = ""; list.replaceChildren(); }
      else { error.hidden = false; error.textContent = body.detail || "preview failed"; }
    } catch (e) {
      if (e.name !== "AbortError") count.textContent = "preview unavailable";
    }
  }

  query.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 250); });
  if (query.value.trim()) check();
})();
