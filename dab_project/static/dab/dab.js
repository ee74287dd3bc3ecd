// DAB's small page helpers (our own code, no libraries).
(function () {
  "use strict";
  // "/" focuses the header search, as in most catalog tools; ignored while typing in a field.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) return;
    var search = document.getElementById("global-search");
    if (search) { event.preventDefault(); search.focus(); search.select(); }
  });
  // "Back to the previous page" on the error pages: the browser's history when there is one (the link's
  // own address, the dashboard, otherwise).
  document.querySelectorAll("a[data-history-back]").forEach(function (link) {
    if (window.history.length < 2) { return; }
    link.addEventListener("click", function (event) { event.preventDefault(); window.history.back(); });
  });
  // Filter forms leave empty fields out of the URL, so shared links hold only the filters in use.
  document.querySelectorAll("form[data-drop-empty]").forEach(function (form) {
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.value === "" && !field.disabled) {
          field.disabled = true;
          // Re-enable after the browser has read the form, so going back finds it usable.
          window.setTimeout(function () { field.disabled = false; }, 0);
        }
      });
    });
  });
  // A filter select applies itself when picked with the pointer. From the keyboard every arrow press is a
  // change, so there it waits for the Apply button (reloading on each arrow would lose the user's place).
  document.querySelectorAll("form[data-apply-on-pick] select").forEach(function (select) {
    var fromKeyboard = false;
    select.addEventListener("keydown", function () { fromKeyboard = true; });
    select.addEventListener("pointerdown", function () { fromKeyboard = false; });
    select.addEventListener("change", function () {
      if (!fromKeyboard) { select.form.requestSubmit(); }
    });
  });
})();
