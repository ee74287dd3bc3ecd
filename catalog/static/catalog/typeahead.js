// The header search box's typeahead (our own code, no libraries): an ARIA 1.2 combobox with a listbox popup.
// From two characters on it asks the server (debounced) for the best capsules and columns; each suggestion
// carries its page's URL and the last one opens every result. Arrows move, Enter opens, Escape closes.
(function () {
  "use strict";
  var input = document.getElementById("global-search");
  var list = document.getElementById("global-search-listbox");
  var status = document.getElementById("global-search-status");
  if (!input || !list || !input.dataset.suggestUrl || !window.fetch) return;

  var DELAY = 150; // ms after the last key press: one request per pause, not per letter
  var MIN_LENGTH = 2;
  var timer = null;
  var pending = null; // the AbortController of the request in flight
  var active = -1; // index of the highlighted option, -1 for none

  function options() { return list.querySelectorAll("[role=option]"); }

  function close() {
    list.hidden = true;
    list.textContent = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    var all = options();
    if (!all.length) return;
    active = (index + all.length) % all.length;
    all.forEach(function (option, i) { option.setAttribute("aria-selected", i === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", all[active].id);
    all[active].scrollIntoView({ block: "nearest" });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function option(index, url, build) {
    var item = element("li", "typeahead-option");
    item.id = "global-search-option-" + index;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    item.dataset.url = url;
    build(item);
    // Pointer: open on click; keep the focus in the box while pressing.
    item.addEventListener("mousedown", function (event) { event.preventDefault(); });
    item.addEventListener("click", function () { window.location.assign(url); });
    return item;
  }

  function render(query, data) {
    list.textContent = "";
    active = -1;
    input.removeAttribute("aria-activedescendant");
    data.suggestions.forEach(function (s, i) {
      list.appendChild(option(i, s.url, function (item) {
        var title = element("span", "typeahead-title");
        title.appendChild(element("span", "typeahead-name", s.label));
        title.appendChild(element("span", "badge badge-info", s.kind === "column" ? "column" : s.capsule_type));
        if (s.layer) title.appendChild(element("span", "badge layer layer-" + s.layer, s.layer));
        if (s.match === "fuzzy") title.appendChild(element("span", "typeahead-fuzzy", "similar name"));
        item.appendChild(title);
        item.appendChild(element("span", "typeahead-urn mono", s.urn));
      }));
    });
    var count = data.suggestions.length;
    list.appendChild(option(count, data.all_results_url, function (item) {
      item.classList.add("typeahead-all");
      item.textContent = "All results for “" + query + "” →";
    }));
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    status.textContent = count ? count + " suggestion" + (count === 1 ? "" : "s") + ", and all results."
      : "No suggestions; Enter searches everything.";
  }

  function ask(query) {
    if (pending) pending.abort();
    pending = window.AbortController ? new AbortController() : null;
    var url = input.dataset.suggestUrl + "?q=" + encodeURIComponent(query);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal: pending && pending.signal })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        // An answer to an older query (the user kept typing) is dropped.
        if (data && input.value.trim() === query && document.activeElement === input) render(query, data);
      })
      .catch(function () { /* aborted or offline: the form still submits */ });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    var query = input.value.trim();
    if (query.length < MIN_LENGTH) { if (pending) pending.abort(); close(); return; }
    timer = window.setTimeout(function () { ask(query); }, DELAY);
  });

  input.addEventListener("keydown", function (event) {
    var open = !list.hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!open) {
        if (input.value.trim().length >= MIN_LENGTH) ask(input.value.trim());
        return;
      }
      event.preventDefault();
      var down = event.key === "ArrowDown";
      highlight(active < 0 ? (down ? 0 : -1) : active + (down ? 1 : -1)); // up from the box: the last option
    } else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault();
      window.location.assign(options()[active].dataset.url);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === "Tab") {
      close();
    }
  });

  // Leaving the box closes the list (after a click on an option has been handled).
  input.addEventListener("blur", function () { window.setTimeout(close, 150); });
})();
