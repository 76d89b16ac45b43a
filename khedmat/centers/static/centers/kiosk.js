/* Timed page changes of the hall's pages: a live ticket reloads itself to show its place in
   the queue; the kiosk's ticket screen goes back to the start for the next person. The
   element #auto-refresh says when (data-seconds) and where (data-url). Without JavaScript a
   <noscript> meta refresh does the same. */
(function () {
  "use strict";
  var marker = document.getElementById("auto-refresh");
  if (!marker) { return; }
  var seconds = parseInt(marker.getAttribute("data-seconds"), 10) || 30;
  var url = marker.getAttribute("data-url") || window.location.href;
  window.setTimeout(function () { window.location.replace(url); }, seconds * 1000);
}());
