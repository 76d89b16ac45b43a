/* Scan a document's QR code with the camera where the browser can (BarcodeDetector).
   Without it, or without JavaScript, the form still works: paste the code and press Check. */
(function () {
  "use strict";
  var button = document.getElementById("scan-button");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var field = document.getElementById("code");
  if (!button || !video || !field || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var stop = function () { stream.getTracks().forEach(function (track) { track.stop(); }); video.hidden = true; };
      var look = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stop();
            field.value = codes[0].rawValue;
            field.form.submit();
          } else {
            window.requestAnimationFrame(look);
          }
        }).catch(function () { window.requestAnimationFrame(look); });
      };
      look();
    }).catch(function () {
      status.textContent = button.getAttribute("data-unavailable");
    });
  });
})();
