// Quote basket kept in localStorage across searches; exports go through the server, which
// verifies every quote against its source before writing the file.
(function () {
  "use strict";
  var KEY = "ckg-quote-basket";
  var GROUP_KEY = "ckg-export-group";     // "source": one reference per source, remembered across pages
  var chosen = null;                      // the choice made on this page, should storage refuse it
  function bySource() {
    if (chosen !== null) { return chosen; }
    try { return localStorage.getItem(GROUP_KEY) === "source"; } catch (e) { return false; }
  }
  // a basket as this page stores it: a list of {id, label}; anything else stored under the key (another
  // version's, or hand-edited) is read as an empty basket rather than breaking every button
  function load() {
    var items;
    try { items = JSON.parse(localStorage.getItem(KEY)); } catch (e) { return []; }
    if (!Array.isArray(items)) { return []; }
    return items.filter(function (x) { return x && typeof x.id === "string" && x.id !== ""; })
      .map(function (x) { return {id: x.id, label: typeof x.label === "string" ? x.label : x.id}; });
  }
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
    // a quote already in the basket says so on its card
    var held = {};
    items.forEach(function (x) { held[x.id] = true; });
    document.querySelectorAll("button.add").forEach(function (button) {
      var inBasket = held[button.getAttribute("data-id")] === true;
      button.textContent = inBasket ? "In basket" : "Add to basket";
      // the name a screen reader gives keeps the quote's opening words after the button's own
      button.setAttribute("aria-label", button.textContent + ": " + (button.getAttribute("data-name") || ""));
      button.classList.toggle("in-basket", inBasket);
    });
    var base = document.getElementById("basket").getAttribute("data-export");
    var group = bySource() ? "&group=source" : "";
    document.querySelectorAll(".export-link").forEach(function (link) {
      var ids = items.map(function (x) { return x.id; }).join(",");
      link.href = base + "?format=" + encodeURIComponent(link.getAttribute("data-format")) + "&ids=" + encodeURIComponent(ids) + group;
    });
    document.querySelectorAll(".export-found-link").forEach(function (link) {
      link.href = link.getAttribute("data-href") + group;
    });
    // the choice needs this script to reach the links, so it is shown only with it
    document.querySelectorAll(".export-group").forEach(function (label) { label.hidden = false; });
    document.querySelectorAll(".export-by-source").forEach(function (box) { box.checked = bySource(); });
  }
  document.addEventListener("change", function (event) {
    if (event.target.classList.contains("export-by-source")) {
      chosen = event.target.checked;
      try { localStorage.setItem(GROUP_KEY, chosen ? "source" : "quote"); } catch (e) { /* kept for this page only */ }
      render();
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.classList.contains("add")) {
      var items = load();
      var id = target.getAttribute("data-id");
      if (!items.some(function (x) { return x.id === id; })) { items.push({ id: id, label: target.getAttribute("data-label") }); }
      save(items);
    } else if (target.classList.contains("copy")) {
      copyText(target.getAttribute("data-copy"), target);
    } else if (target.id === "basket-clear") {
      save([]);
    } else if (target.classList.contains("export-link")) {
      // fetched, not followed: a refusal (a quote no longer in the library after a rebuild, or no
      // longer matching its source) is said beside the basket, which stays, instead of a raw JSON page
      event.preventDefault();
      exportBasket(target);
    }
  });
  // "Copied" only when the text is on the clipboard: the clipboard API needs a secure context
  // (https or localhost); elsewhere the old copy command, and failing that the text shown selected
  function copyText(text, button) {
    function say(words) {       // on the button and in the name a screen reader gives it
      button.textContent = words;
      button.setAttribute("aria-label", words + ": " + (button.getAttribute("data-name") || ""));
    }
    function done() { say("Copied"); }
    function byHand() {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      document.body.removeChild(area);
      if (copied) { done(); return; }
      var shown = button.parentNode.querySelector(".copy-fallback");
      if (!shown) {
        shown = document.createElement("textarea");
        shown.className = "copy-fallback";
        shown.readOnly = true;
        shown.rows = 3;
        shown.setAttribute("aria-label", "The quote with its citation, to copy");
        button.parentNode.appendChild(shown);
      }
      shown.value = text;
      shown.focus();
      shown.select();
      say("Not copied: select and copy the text below");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, byHand);
    } else {
      byHand();
    }
  }
  function exportBasket(link) {
    var problem = document.getElementById("basket-problem");
    problem.hidden = true;
    fetch(link.href).then(function (response) {
      if (response.ok) {
        return response.blob().then(function (blob) {
          var a = document.createElement("a");
          a.href = URL.createObjectURL(blob);
          var named = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
          a.download = named ? named[1] : "quotes";
          document.body.appendChild(a);
          a.click();
          setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        });
      }
      return response.json().then(function (body) {
        var message = (body && body.error && body.error.message) || ("export refused (HTTP " + response.status + ")");
        var missing = message.match(/q-[0-9a-f]{12}/g) || [];
        problem.textContent = message + (missing.length ? " Remove the quotes marked below, then export again." : "");
        problem.hidden = false;
        document.querySelectorAll("#basket-items li").forEach(function (li) {
          li.classList.toggle("missing", missing.indexOf(li.getAttribute("data-id")) >= 0);
        });
      });
    }).catch(function () {
      problem.textContent = "The export could not be fetched: is the server running?";
      problem.hidden = false;
    });
  }
  render();
})();
