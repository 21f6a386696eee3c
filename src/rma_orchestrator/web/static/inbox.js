// The inbox without a mouse (j/k, Enter, c, /) and new tasks without a reload.
(function () {
  "use strict";
  var box = document.getElementById("inbox-rows");
  if (!box) return;
  var announce = document.getElementById("inbox-announce");
  var current = -1;

  function rows() { return Array.prototype.slice.call(box.querySelectorAll("tr[data-task]")); }

  function select(index, focus) {
    var all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    var link = all[current].querySelector("a");
    if (link && focus !== false) link.focus();
  }

  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
      target.tagName === "SELECT" || target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var all = rows();
    if (event.key === "j") { select(current + 1); event.preventDefault(); }
    else if (event.key === "k") { select(current - 1); event.preventDefault(); }
    else if (event.key === "Enter" && current >= 0 && all[current]) {
      if (event.target.tagName === "BUTTON") return;
      window.location.href = all[current].getAttribute("data-href");
      event.preventDefault();
    } else if (event.key === "c" && current >= 0 && all[current]) {
      var claim = all[current].querySelector("button[data-claim]");
      if (claim) { claim.click(); event.preventDefault(); }
    } else if (event.key === "/") {
      var search = document.querySelector("[data-shortcut='/']");
      if (search) { search.focus(); search.select(); event.preventDefault(); }
    }
  });

  function ids() { return rows().map(function (row) { return row.getAttribute("data-task"); }); }

  function refresh() {
    if (document.hidden || (box.contains(document.activeElement) && document.activeElement.tagName === "BUTTON")) return;
    var before = ids();
    var hadFocus = box.contains(document.activeElement);
    var selected = current >= 0 && rows()[current] ? rows()[current].getAttribute("data-task") : null;
    fetch(box.getAttribute("data-refresh-url"), { headers: { "X-Inbox-Refresh": "1" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        box.innerHTML = html;
        var added = ids().filter(function (id) { return before.indexOf(id) < 0; }).length;
        if (added && announce) announce.textContent = box.getAttribute("data-new-text").replace("%d", added);
        var again = ids().indexOf(selected);
        if (again >= 0) select(again, hadFocus); else current = -1;
      })
      .catch(function () { /* offline for a moment: try again at the next turn */ });
  }

  var seconds = parseInt(box.getAttribute("data-refresh-seconds"), 10) || 20;
  window.setInterval(refresh, seconds * 1000);
})();
