// The expert's hand-over page, live: when the inbox feed names this hand-over's conversation (a new customer message,
// the agent cancelling, the timer warning), the status and thread are fetched again and swapped in. The answer form
// is outside the swapped part, so what the expert is typing stays; when the hand-over closes, the forms go away.
(function () {
  "use strict";
  const page = document.getElementById("handover-page");
  if (!page || !window.EventSource) return;
  const handover = page.dataset.handover;
  let pending = null;

  async function refresh() {
    pending = null;
    const res = await fetch("/handover/" + handover + "/live", { credentials: "same-origin" });
    if (!res.ok) return;
    const live = document.getElementById("handover-live");
    live.outerHTML = await res.text();
    const now = document.getElementById("handover-live");
    if (now && now.dataset.status !== "open") {
      const forms = document.getElementById("handover-forms");
      const closed = document.getElementById("handover-closed");
      if (forms) forms.hidden = true;
      if (closed) closed.hidden = false;
    }
  }

  const events = new EventSource("/inbox/events");
  events.addEventListener("changed", (e) => {
    const live = document.getElementById("handover-live");
    if (!live) return;
    let ids = [];
    try { ids = JSON.parse(e.data); } catch { return; }
    if (!ids.includes(Number(live.dataset.conversation))) return;
    // Several commits in a burst make one fetch.
    if (pending === null) pending = setTimeout(refresh, 200);
  });
})();
