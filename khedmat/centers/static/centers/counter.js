// The counter screen: refresh the number of people waiting every 15 seconds, without a
// reload (the page works without this script; it only keeps the count current).
(function () {
  "use strict";
  var box = document.getElementById("counter-waiting");
  if (!box || !window.fetch || !window.DOMParser) { return; }
  var url = box.getAttribute("data-refresh");
  function refresh() {
    if (document.hidden) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("counter-waiting");
        if (fresh && fresh.innerHTML !== box.innerHTML) { box.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }
  window.setInterval(refresh, 15000);
})();
