// The pages' only script (served by the app; the Content-Security-Policy allows nothing else).
// A run's progress: while the fragment says the run is queued or running, fetch it again every
// second and put it in place; when the run has ended, reload the page to show its review.
(function () {
  "use strict";
  function poll(box) {
    var url = box.getAttribute("data-poll");
    if (!url) { return; }
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector("#run-progress");
          if (!fresh) { return; }
          box.replaceWith(fresh);
          if (fresh.getAttribute("data-poll")) { poll(fresh); } else { window.location.reload(); }
        })
        .catch(function () { poll(box); });
    }, 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("run-progress");
    if (box) { poll(box); }
  });
})();
