// Draws every chart on the page from its figure data (a json_script element). No inline script.
(function () {
  "use strict";
  function draw() {
    document.querySelectorAll("[data-figure-id]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figureId);
      if (!source || typeof Plotly === "undefined") { return; }
      var figure = JSON.parse(source.textContent);
      el.textContent = "";
      Plotly.newPlot(el, figure.data, figure.layout, figure.config);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
