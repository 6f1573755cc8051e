// Quote basket kept in localStorage across searches; exports go through the server, which
// verifies every quote against its source before writing the file.
(function () {
  "use strict";
  var KEY = "ckg-quote-basket";
  function load() { try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; } }
  function save(items) { localStorage.setItem(KEY, JSON.stringify(items)); render(); }
  function render() {
    var items = load();
    var list = document.getElementById("basket-items");
    var count = document.getElementById("basket-count");
    if (!list) { return; }
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = item.label;
      li.setAttribute("data-id", item.id);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "Remove";
      remove.className = "remove";
      remove.addEventListener("click", function () { save(load().filter(function (x) { return x.id !== item.id; })); });
      li.appendChild(document.createTextNode(" "));
      li.appendChild(remove);
      list.appendChild(li);
    });
    count.textContent = String(items.length);
    // nothing to export from an empty basket: say how to fill it instead
    document.getElementById("basket-exports").hidden = items.length === 0;
    document.getElementById("basket-empty").hidden = items.length > 0;
    var base = document.getElementById("basket").getAttribute("data-export");
    document.querySelectorAll(".export-link").forEach(function (link) {
      var ids = items.map(function (x) { return x.id; }).join(",");
      link.href = base + "?format=" + encodeURIComponent(link.getAttribute("data-format")) + "&ids=" + encodeURIComponent(ids);
    });
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.classList.contains("add")) {
      var items = load();
      var id = target.getAttribute("data-id");
      if (!items.some(function (x) { return x.id === id; })) { items.push({ id: id, label: target.getAttribute("data-label") }); }
      save(items);
    } else if (target.classList.contains("copy")) {
      var text = target.getAttribute("data-copy");
      if (navigator.clipboard) { navigator.clipboard.writeText(text).catch(function () {}); }
      target.textContent = "Copied";
    } else if (target.id === "basket-clear") {
      save([]);
    }
  });
  render();
})();
