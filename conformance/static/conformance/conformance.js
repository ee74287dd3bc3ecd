// Conformance pages: bulk selection and the triage form (our own code, no libraries).
(function () {
  "use strict";
  document.querySelectorAll("form[data-triage]").forEach(function (form) {
    var single = form.hasAttribute("data-single");
    var boxes = function () { return document.querySelectorAll('input[type=checkbox][name="ids"][form="' + form.id + '"], #' + form.id + ' input[type=checkbox][name="ids"]'); };
    var all = form.querySelector("[data-select-all]");
    var counter = form.querySelector("[data-selected-count]");
    var submit = form.querySelector("[data-triage-submit]");
    var action = form.querySelector("[data-triage-action]");
    var waiveOnly = form.querySelector("[data-waive-only]");
    var reason = form.querySelector('input[name="reason"]');

    function selected() {
      return Array.prototype.filter.call(boxes(), function (box) { return box.checked; }).length;
    }
    function refresh() {
      var count = single ? 1 : selected();
      if (counter) counter.textContent = count + " selected";
      if (submit) submit.disabled = count === 0;
      var waiving = action && action.value === "waive";
      if (waiveOnly) waiveOnly.hidden = !waiving;
      if (reason) reason.required = waiving;
      if (all && !single) {
        var total = boxes().length;
        all.checked = total > 0 && count === total;
        all.indeterminate = count > 0 && count < total;
      }
    }
    if (all) {
      all.addEventListener("change", function () {
        Array.prototype.forEach.call(boxes(), function (box) { box.checked = all.checked; });
        refresh();
      });
    }
    form.addEventListener("change", refresh);
    if (action) action.addEventListener("change", refresh);
    refresh();
  });
})();
