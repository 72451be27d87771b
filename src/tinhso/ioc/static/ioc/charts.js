/* Draws the IOC's charts with the bundled plotly.js. Each chart is an element with a
   data-plotly attribute holding {data, layout} built on the server (tinhso/ioc/charts.py).
   Charts are drawn on load and again after htmx replaces the panel (its polling refresh). */
(function () {
  "use strict";
  var CONFIG = {displayModeBar: false, responsive: true, staticPlot: false};

  function draw(root) {
    if (!window.Plotly || !root || !root.querySelectorAll) { return; }
    var nodes = root.querySelectorAll("[data-plotly]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      try {
        var spec = JSON.parse(el.getAttribute("data-plotly"));
        window.Plotly.react(el, spec.data, spec.layout, CONFIG);
        el.setAttribute("data-drawn", "1");
      } catch (err) {
        el.setAttribute("data-drawn", "error");
        if (window.console) { window.console.error("IOC chart", err); }
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
