// The board filters (templates/rankings/_filters.html): show only the fields the
// chosen period needs, and fold the other filters away on a phone so the ranking
// comes first. Without this script the form still works: the server shows the
// fields a period needs after "Show".
(function () {
  "use strict";

  var PHONE = "(max-width: 767.98px)";

  function showPeriodFields(form) {
    var select = form.querySelector("[data-period-select]");
    if (!select) {
      return;
    }
    form.querySelectorAll("[data-period-field]").forEach(function (field) {
      var needed = field.dataset.periodField === select.value;
      field.hidden = !needed;
      // A hidden field sends nothing, so a link to the board names only what it uses.
      field.querySelectorAll("input, select").forEach(function (input) {
        input.disabled = !needed;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-board-filters]").forEach(function (form) {
      var select = form.querySelector("[data-period-select]");
      if (select) {
        select.addEventListener("change", function () {
          showPeriodFields(form);
        });
      }
      showPeriodFields(form);
      if (window.matchMedia(PHONE).matches && !form.querySelector(".is-invalid")) {
        form.querySelectorAll("details[data-fold-on-phone]").forEach(function (more) {
          more.open = false;
        });
      }
    });
  });
})();
