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
  if (window.parent !== window) window.parent.postMessage({ kind: 'probe', json: pre.textContent }, '*');
  charts();
});

// Each chart (an <svg> with an id) drawn on a canvas as the browser renders
// it: how many of its pixels are not white, and how many have one of the
// page's status colours (a blank or colourless chart has none). Written to
// <pre id="charts"> when all are drawn.
function charts() {
  var svgs = Array.prototype.filter.call(document.querySelectorAll('svg[id]'), function (s) {
    return s.getAttribute('width');
  });
  var colours = [];
  try {
    colours = JSON.parse(document.getElementById('accounts-index').textContent).colours.map(function (c) {
      return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
    });
  } catch (e) { /* no index: no colours */ }
  var out = {}, left = svgs.length;
  function done() {
    var pre = document.createElement('pre');
    pre.id = 'charts';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
    if (window.parent !== window) window.parent.postMessage({ kind: 'charts', json: pre.textContent }, '*');
  }
  if (!left) return done();
  svgs.forEach(function (svg) {
    var w = +svg.getAttribute('width'), h = +svg.getAttribute('height');
    var img = new Image();
    img.onload = function () {
      var c = document.createElement('canvas');
      c.width = w; c.height = h;
      var g = c.getContext('2d');
      g.fillStyle = '#fff'; g.fillRect(0, 0, w, h);
      g.drawImage(img, 0, 0, w, h);
      var d = g.getImageData(0, 0, w, h).data, ink = 0, coloured = 0;
      for (var i = 0; i < d.length; i += 4) {
        if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) ink++;
        for (var k = 0; k < colours.length; k++) {
          var col = colours[k];
          if (Math.abs(d[i] - col[0]) < 8 && Math.abs(d[i + 1] - col[1]) < 8 && Math.abs(d[i + 2] - col[2]) < 8) { coloured++; break; }
        }
      }
      out[svg.id] = { pixels: w * h, ink: ink, coloured: coloured };
      if (--left === 0) done();
    };
    img.onerror = function () { out[svg.id] = { error: true }; if (--left === 0) done(); };
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(svg));
  });
}
