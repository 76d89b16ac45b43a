/* The printed ticket's Print button (without JavaScript the browser's own Print does it); on
   the kiosk (data-autoprint) the slip prints as soon as it is drawn. */
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (!button || !window.print) { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
  if (button.hasAttribute("data-autoprint")) {
    window.addEventListener("load", function () { window.print(); });
  }
}());
