/* Source reader: a passage's "#" link also copies the passage's full address to the clipboard. */
(function () {
  "use strict";
  var status = document.getElementById("copy-status");

  function announce(message) {
    if (!status) { return; }
    status.textContent = message;
    window.clearTimeout(announce.timer);
    announce.timer = window.setTimeout(function () { status.textContent = ""; }, 2500);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.permalink") : null;
    if (!link) { return; }
    var address = link.href;   // absolute URL with the passage's #fragment
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(address).then(
        function () { announce("Link to this passage copied."); },
        function () { announce("Link: " + address); }
      );
    } else {
      announce("Link: " + address);
    }
  });
})();
