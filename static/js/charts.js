// Draws every chart on the page from its figure data (a json_script element). No inline script.
(function () {
  "use strict";
  function draw() {
    document.querySelectorAll("[data-figure-id]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figureId);
      if (!source || typeof Plotly === "undefined") { return; }
      var figure = JSON.parse(source.textContent);
      // Plotly ships English month names only: register the page's language, built on the
      // server from Django's own names (charts/base.py locale_format).
      if (figure.locale_format && figure.config && figure.config.locale) {
        Plotly.register({
          moduleType: "locale", name: figure.config.locale, dictionary: {},
          format: figure.locale_format
        });
      }
      el.textContent = "";
      Plotly.newPlot(el, figure.data, figure.layout, figure.config);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }

  // Printing: a responsive chart keeps its screen width and would be cut at the page edge, so
  // each one is redrawn at the printed width (180 mm on A4, app.css) and given back after.
  var PRINT_WIDTH_PX = 680;
  function drawn() {
    return Array.prototype.filter.call(
      document.querySelectorAll("[data-figure-id]"),
      function (el) { return el._fullLayout && typeof Plotly !== "undefined"; }
    );
  }
  function toPrintWidth() {
    drawn().forEach(function (el) {
      Plotly.relayout(el, { width: PRINT_WIDTH_PX, autosize: false });
    });
  }
  function toScreenWidth() {
    drawn().forEach(function (el) {
      Plotly.relayout(el, { width: null, autosize: true });
    });
  }
  window.addEventListener("beforeprint", toPrintWidth);
  window.addEventListener("afterprint", toScreenWidth);
})();
