// Appended to a copy of a report by tests/cli_report.rs and bench/report.sh
// (never part of a report): when the page has loaded, it searches for
// PROBE_TERM with the page's own search box, then writes what it measured
// into <pre id="probe"> as JSON, for `chromium --dump-dom` (and to the
// page around it, when it is in a frame: headless Chromium lays a window
// out at least 500 px wide, so a narrow window is a frame).
window.addEventListener('load', function () {
  var r = {};
  var nav = performance.getEntriesByType('navigation')[0];
  r.responseEnd = nav ? Math.round(nav.responseEnd) : null;
  r.domInteractive = nav ? Math.round(nav.domInteractive) : null;
  r.domContentLoaded = nav ? Math.round(nav.domContentLoadedEventEnd) : null;
  r.load = Math.round(performance.now());
  var q = document.getElementById('find-q');
  r.findShown = !!q && !document.getElementById('find').hidden;
  if (q) {
    var t0 = performance.now();
    q.value = PROBE_TERM;
    q.dispatchEvent(new Event('input'));
    r.searchMs = Math.round(performance.now() - t0);
    r.found = document.getElementById('find-count').textContent;
    r.rows = Array.prototype.map.call(
      document.querySelectorAll('#find-results tbody tr'),
      function (tr) { return tr.cells[0].textContent; });
    var link = document.querySelector('#find-results tbody a');
    r.link = link ? link.getAttribute('href') : null;
  }
  r.innerWidth = window.innerWidth;
  r.clientWidth = document.documentElement.clientWidth;
  r.scrollWidth = document.documentElement.scrollWidth;
  // what sticks out of the window (outside the sideways-scrolling tables)
  var wide = [];
  document.querySelectorAll('body *').forEach(function (e) {
    var b = e.getBoundingClientRect();
    if (b.width > 0 && b.right > window.innerWidth + 0.5 && !e.closest('.scroll')) {
      wide.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''));
    }
  });
  r.sticksOut = wide.slice(0, 10);
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
  // in a frame of a narrow width: tell the page around it
  if (window.parent !== window) window.parent.postMessage(pre.textContent, '*');
});
