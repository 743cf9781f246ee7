// Nucleus page glue: resume live sockets where the page left off, show the connection state,
// refresh lists when the server pokes them, and keep typed text safe. No inline scripts (CSP).
(function () {
  "use strict";

  function lastSeq() {
    var marker = document.getElementById("last-seq");
    return marker ? marker.dataset.seq : "";
  }

  // Every (re)connect asks for what was missed since the newest event this page shows.
  // Deferred after htmx, this runs before htmx opens its sockets on DOMContentLoaded.
  htmx.createWebSocket = function (url) {
    var seq = lastSeq();
    if (seq !== "") {
      url += (url.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(seq);
    }
    return new WebSocket(url);
  };

  // The close codes htmx's ws extension retries after; on any other it gives up, so
  // promising a reconnect would be a lie.
  var RECONNECTS = [1006, 1011, 1012, 1013];
  var STOPPED = "Live updates stopped \u2014 reload the page to see new changes.";
  var reconnecting = null; // the banner's own text, read once

  // show: false, true (reconnecting) or "stopped".
  function banner(show) {
    var el = document.getElementById("live-banner");
    if (el) {
      if (reconnecting === null) reconnecting = el.textContent;
      el.textContent = show === "stopped" ? STOPPED : reconnecting;
      el.classList.toggle("stopped", show === "stopped");
      el.hidden = !show;
    }
    document.body.classList.toggle("offline", !!show);
  }

  document.addEventListener("htmx:wsOpen", function () { banner(false); });
  document.addEventListener("htmx:wsClose", function (e) {
    var code = e.detail.event.code;
    if (code === 4403 || code === 4404) {
      banner(false);
      var gone = document.getElementById("access-gone");
      if (gone) gone.hidden = false;
      return;
    }
    banner(RECONNECTS.indexOf(code) >= 0 ? true : "stopped");
  });

  document.addEventListener("htmx:wsAfterMessage", function () {
    var reload = document.getElementById("live-reload");
    if (reload && reload.dataset.reload === "now") {
      window.location.reload();
      return;
    }
    var state = document.getElementById("live-state");
    if (state) banner(state.dataset.live === "0");
  });

  // Presence is rendered once for everybody; each page hides its own user.
  function hideSelf() {
    var me = document.body.dataset.user;
    document.querySelectorAll("#presence .viewer").forEach(function (el) {
      el.hidden = el.dataset.user === me;
    });
  }

  // A part re-sent with the same data-live-key has not changed what it offers: keep it, and
  // with it whatever is being typed into it.
  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    var incoming = e.detail.fragment && e.detail.fragment.firstElementChild;
    var key = incoming && incoming.dataset ? incoming.dataset.liveKey : undefined;
    if (key !== undefined && e.detail.target.dataset.liveKey === key) e.detail.shouldSwap = false;
  });

  // Lists refresh themselves with their own filters when the server pokes them.
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "presence") hideSelf();
    if (e.detail.target && e.detail.target.id === "list-poke") {
      document.querySelectorAll("[data-refresh-on-poke]").forEach(function (el) {
        htmx.trigger(el, "nucleus:poke");
      });
    }
  });

  // 4xx answers arrive as alerts (the server retargets them); a 5xx or a lost connection must
  // not throw away what the user typed either.
  function showProblem() {
    var alerts = document.getElementById("alerts");
    if (alerts) {
      alerts.textContent = "";
      var div = document.createElement("div");
      div.className = "alert alert-error";
      div.textContent = "Something went wrong on our side. Nothing you typed was lost; please try again.";
      alerts.appendChild(div);
    }
  }
  document.addEventListener("htmx:responseError", showProblem);
  document.addEventListener("htmx:sendError", showProblem);

  // Composers tell the others that someone is writing a reply.
  var lastTyping = 0;
  document.addEventListener("input", function (e) {
    var form = e.target.closest("[data-composer]");
    if (!form) return;
    var now = Date.now();
    if (now - lastTyping < 3000) return;
    lastTyping = now;
    var socketElt = document.querySelector("[ws-connect]");
    var data = socketElt && socketElt["htmx-internal-data"];
    if (data && data.webSocket) {
      data.webSocket.send(JSON.stringify({ type: "typing", kind: form.dataset.composer }), socketElt);
    }
  });
})();
