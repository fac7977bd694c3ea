// Draws each dashboard chart from its page's JSON endpoint. The numbers are
// already on the page as tables, so when Chart.js cannot load (offline, a
// blocked CDN, a wrong integrity hash) nothing is lost: the boxes stay hidden.
//
// Colours are the theme's (the --chart-* custom properties of css/boards.css),
// days come written as the page writes them (the JSON's labels), and on a phone
// a drawn chart's table folds under its "Data" toggle.
(function () {
  "use strict";

  var PHONE = "(max-width: 767.98px)";

  function theme() {
    var style = window.getComputedStyle(document.documentElement);
    var read = function (name) {
      return style.getPropertyValue(name).trim();
    };
    var palette = [];
    for (var i = 1; i <= 8; i += 1) {
      var colour = read("--chart-" + i);
      if (colour) {
        palette.push(colour);
      }
    }
    return { palette: palette, text: read("--chart-text"), grid: read("--chart-grid") };
  }

  function coloured(spec, palette) {
    if (!palette.length) {
      return spec.datasets;
    }
    var pick = function (i) {
      return palette[i % palette.length];
    };
    return spec.datasets.map(function (dataset, i) {
      var colours =
        spec.type === "doughnut"
          ? dataset.data.map(function (_value, j) {
              return pick(j);
            })
          : pick(i);
      return Object.assign({}, dataset, { backgroundColor: colours, borderColor: colours });
    });
  }

  function draw(root, colours) {
    fetch(root.dataset.chartSource, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(function (data) {
        var phone = window.matchMedia(PHONE).matches;
        root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
          var spec = data.charts[canvas.dataset.chart];
          if (!spec || !spec.labels.length) {
            return;
          }
          canvas.closest(".chart-box").classList.add("drawn");
          new window.Chart(canvas, {
            type: spec.type,
            data: { labels: spec.labels, datasets: coloured(spec, colours.palette) },
            options: {
              responsive: true,
              maintainAspectRatio: false,
              animation: false,
              plugins: { legend: { display: spec.datasets.length > 1 || spec.type === "doughnut" } },
            },
          });
          canvas.dataset.drawn = "true";
          var table = canvas.closest("section").querySelector("details.chart-data");
          if (phone && table) {
            table.open = false;
          }
        });
      })
      .catch(function () {
        // The tables under each chart already hold the numbers.
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof window.Chart === "undefined") {
      return;
    }
    var colours = theme();
    if (colours.text) {
      window.Chart.defaults.color = colours.text;
    }
    if (colours.grid) {
      window.Chart.defaults.borderColor = colours.grid;
    }
    document.querySelectorAll("[data-chart-source]").forEach(function (root) {
      draw(root, colours);
    });
  });
})();
