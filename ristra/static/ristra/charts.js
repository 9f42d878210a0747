// Render each chart's Vega-Lite spec (from its JSON script element) as SVG with vega-embed.
// The action menu is off (it fails accessibility checks); the data table beside each chart
// is the accessible form, and the chart container carries the text summary as its label.
(function () {
  function render(root) {
    if (typeof vegaEmbed !== "function") return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.rendered) return;
      var source = document.getElementById(el.dataset.chart);
      if (!source) return;
      var spec = JSON.parse(source.textContent);
      if (!spec) return;
      el.dataset.rendered = "1";
      vegaEmbed(el, spec, { actions: false, renderer: "svg" }).then(function () {
        var svg = el.querySelector("svg");
        if (svg) {
          svg.setAttribute("aria-hidden", "true");
          svg.setAttribute("focusable", "false");
        }
      }).catch(function () { el.dataset.rendered = "failed"; });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.body.addEventListener("htmx:afterSwap", function (e) { render(e.target); });
})();
