// The receipt slip's Print button: shown only where JavaScript runs; without it the page
// says to use the browser's own Print, and the print CSS lays it out all the same.
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (!button || typeof window.print !== "function") { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
