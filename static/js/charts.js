// Draws each dashboard chart from its page's JSON endpoint. The numbers are
// already on the page as tables, so when Chart.js cannot load (offline, a
// blocked CDN, a wrong integrity hash) nothing is lost: the boxes stay hidden.
(function () {
  "use strict";

  function draw(root) {
    if (typeof window.Chart === "undefined") {
      return;
    }
    fetch(root.dataset.chartSource, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(function (data) {
        root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
          var spec = data.charts[canvas.dataset.chart];
          if (!spec || !spec.labels.length) {
            return;
          }
          canvas.closest(".chart-box").classList.add("drawn");
          new window.Chart(canvas, {
            type: spec.type,
            data: { labels: spec.labels, datasets: spec.datasets },
            options: {
              responsive: true,
              maintainAspectRatio: false,
              animation: false,
              plugins: { legend: { display: spec.datasets.length > 1 || spec.type === "doughnut" } },
            },
          });
          canvas.dataset.drawn = "true";
        });
      })
      .catch(function () {
        // The tables under each chart already hold the numbers.
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart-source]").forEach(draw);
  });
})();
