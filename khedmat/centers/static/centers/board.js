/* The hall's display board: polls the feed every 500 ms (If-None-Match, 304 when nothing
   changed), redraws the calls when their version changes, plays a two-tone chime and then
   speaks each new call (its `audio` URL, a WAV made on the server, offline) through the
   page's <audio> element; shows a stale marker when the feed cannot be reached, and keeps
   retrying (backoff up to 5 s). Without sound the board still shows every call; without
   JavaScript the page refreshes itself every 5 seconds instead. */
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.XMLHttpRequest) { return; }
  var POLL_MS = 500, MAX_BACKOFF_MS = 5000, STALE_AFTER_MS = 5000, TIMEOUT_MS = 4000;
  var feedUrl = board.getAttribute("data-feed");
  var version = board.getAttribute("data-version") || "";
  var digits = board.getAttribute("data-digits") || "0123456789";
  var staleText = board.getAttribute("data-stale") || "";
  var rows = document.getElementById("board-calls");
  var empty = document.getElementById("board-empty");
  var stale = document.getElementById("board-stale");
  var soundButton = document.getElementById("board-sound");
  var voice = document.getElementById("board-voice");
  var lastOk = Date.now(), failures = 0, audio = null;
  var announced = {}, spoken = [], speaking = false;
  /* The calls the page came with are not new: only later ones are spoken. */
  var shown = rows.querySelectorAll("[data-call]");
  for (var r = 0; r < shown.length; r++) { announced[shown[r].getAttribute("data-call")] = true; }

  /* HH:MM of this screen's clock, in the page's digits (Eastern Arabic-Indic in Dari and Pashto). */
  function clock(date) {
    var text = ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
    return text.replace(/[0-9]/g, function (d) { return digits.charAt(+d); });
  }

  function showStale(on) {
    if (on) {
      var text = staleText.replace("{time}", clock(new Date(lastOk)));
      if (stale.textContent !== text) { stale.textContent = text; }
      stale.hidden = false;
      board.classList.add("board--stale");
    } else if (!stale.hidden) {
      stale.hidden = true;
      stale.textContent = "";
      board.classList.remove("board--stale");
    }
  }

  function cell(className, text, ltr) {
    var td = document.createElement("td"), holder = td;
    td.className = className;
    if (ltr) {  /* "A-012" reads left to right in a right-to-left row, aligned like its column */
      holder = document.createElement("span");
      holder.setAttribute("dir", "ltr");
      td.appendChild(holder);
    }
    holder.textContent = text;
    return td;
  }

  function render(calls) {
    while (rows.firstChild) { rows.removeChild(rows.firstChild); }
    for (var i = 0; i < calls.length; i++) {
      var tr = document.createElement("tr");
      tr.className = i === 0 ? "board-call board-call--new board-call--fresh" : "board-call";
      tr.appendChild(cell("board-call__number", calls[i].number_display, true));
      tr.appendChild(cell("board-call__counter", calls[i].counter_display, false));
      tr.appendChild(cell("board-call__service", calls[i].service, false));
      rows.appendChild(tr);
    }
    empty.hidden = calls.length > 0;
  }

  /* Two tones, as halls announce a call: a WebAudio oscillator, no sound file to load. */
  function chime() {
    if (!audio || audio.state !== "running") { return; }
    var start = audio.currentTime + 0.02;
    [[659.25, 0], [523.25, 0.45]].forEach(function (tone) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, start + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.5, start + tone[1] + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + tone[1] + 0.8);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(start + tone[1]);
      osc.stop(start + tone[1] + 0.85);
    });
  }

  function callKey(call) { return call.number + "@" + call.counter + "@" + call.called_at; }

  /* Remember the calls already on the board, so that only new ones are spoken. */
  function remember(calls) {
    var seen = {};
    for (var i = 0; i < calls.length; i++) { seen[callKey(calls[i])] = true; }
    announced = seen;
  }

  function speakNext() {
    if (speaking || !spoken.length || !voice) { return; }
    speaking = true;
    voice.src = spoken.shift();
    var done = function () { speaking = false; window.setTimeout(speakNext, 400); };
    voice.onended = done;
    voice.onerror = done;
    var playing = voice.play();
    if (playing && playing.catch) { playing.catch(done); }
  }

  /* The calls that were not on the board before, oldest first, after the chime. */
  function announce(calls) {
    var fresh = [];
    for (var i = calls.length - 1; i >= 0; i--) {
      if (!announced[callKey(calls[i])] && calls[i].audio) { fresh.push(calls[i].audio); }
    }
    remember(calls);
    if (!audio || audio.state !== "running" || !voice) { return; }
    spoken = spoken.concat(fresh).slice(-4);  /* a burst of calls: the latest four */
    window.setTimeout(speakNext, 1300);
  }

  var AudioContextClass = window.AudioContext || window.webkitAudioContext;
  if (AudioContextClass && soundButton) {
    /* Browsers start audio only after a gesture: one tap on the board's button. */
    soundButton.hidden = false;
    soundButton.addEventListener("click", function () {
      try {
        audio = audio || new AudioContextClass();
        audio.resume().then(function () { soundButton.hidden = true; chime(); });
      } catch (error) { soundButton.hidden = true; }
    });
  }

  function schedule() {
    var delay = failures ? Math.min(MAX_BACKOFF_MS, POLL_MS * Math.pow(2, failures)) : POLL_MS;
    window.setTimeout(poll, delay);
  }

  function succeeded() {
    lastOk = Date.now();
    failures = 0;
    showStale(false);
  }

  function failed() {
    failures += 1;
    showStale(true);
  }

  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", feedUrl, true);
    request.timeout = TIMEOUT_MS;
    if (version) { request.setRequestHeader("If-None-Match", "\"" + version + "\""); }
    request.onload = function () {
      if (request.status === 304) {
        succeeded();
      } else if (request.status === 200) {
        var data = null;
        try { data = JSON.parse(request.responseText); } catch (error) { data = null; }
        if (data && data.version) {
          succeeded();
          if (data.version !== version) {
            var first = !version;
            version = data.version;
            render(data.calls || []);
            if (first) { remember(data.calls || []); } else { chime(); announce(data.calls || []); }
          }
        } else {
          failed();
        }
      } else {
        failed();
      }
      schedule();
    };
    request.onerror = request.ontimeout = function () { failed(); schedule(); };
    request.send();
  }

  /* A request that neither answers nor fails still counts: no good poll for 5 s is stale. */
  window.setInterval(function () {
    if (Date.now() - lastOk > STALE_AFTER_MS) { showStale(true); }
  }, 1000);
  schedule();
}());
