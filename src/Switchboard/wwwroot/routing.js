// Live SLA countdowns in the routing trace panel: every <time class="countdown" datetime="..."> ticks each second.
(function () {
  function fmt(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), d = Math.floor(s / 86400), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    var text = h >= 48 ? d + ' d' : s >= 5400 ? h + ' h ' + m + ' min' : Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return ms >= 0 ? 'due in ' + text : 'overdue by ' + text;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll('time.countdown').forEach(function (t) {
      var due = Date.parse(t.getAttribute('datetime'));
      if (!isNaN(due)) {
        t.textContent = fmt(due - now);
        t.classList.toggle('overdue', due < now);
      }
    });
  }
  setInterval(tick, 1000);
  document.addEventListener('DOMContentLoaded', tick);
})();
