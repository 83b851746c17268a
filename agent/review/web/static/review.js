// Keyboard shortcuts of the review UI. Keys do nothing while typing in a field.
// Paper page: j/k next/previous paper, a approve, r reject, e edit, g regenerate, Esc cancel.
// Queue: j/k move the selection, Enter or o opens the selected paper.
(function () {
  "use strict";

  function typing(target) {
    return target && target.closest && target.closest("input, textarea, select, [contenteditable]");
  }

  function press(selector) {
    var element = document.querySelector(selector);
    if (element && !element.disabled) {
      element.click();
      return true;
    }
    return false;
  }

  function moveSelection(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr[data-href]"));
    if (!rows.length) return;
    var current = rows.findIndex(function (row) { return row.classList.contains("selected"); });
    var next = Math.min(Math.max(current + step, 0), rows.length - 1);
    if (current >= 0) rows[current].classList.remove("selected");
    rows[next].classList.add("selected");
    rows[next].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {
      if (press("#cancel")) event.preventDefault();
      return;
    }
    if (typing(event.target)) return;
    var onQueue = document.getElementById("queue") !== null;
    var handled = false;
    switch (event.key) {
      case "j":
        if (onQueue) { moveSelection(1); handled = true; } else { handled = press("a[data-nav=next]"); }
        break;
      case "k":
        if (onQueue) { moveSelection(-1); handled = true; } else { handled = press("a[data-nav=prev]"); }
        break;
      case "Enter":
      case "o":
        if (onQueue) {
          var row = document.querySelector("#queue tbody tr.selected");
          if (row) { window.location.href = row.getAttribute("data-href"); handled = true; }
        }
        break;
      case "a": handled = press("#approve"); break;
      case "r": handled = press("#reject"); break;
      case "e": handled = press("#edit"); break;
      case "g": handled = press("#regenerate"); break;
    }
    if (handled) event.preventDefault();
  });

  // After an htmx swap the edit form's takeaway gets the focus, so typing starts at once.
  document.addEventListener("htmx:afterSwap", function () {
    var field = document.querySelector("#edit-form #takeaway");
    if (field) {
      field.focus();
      field.setSelectionRange(field.value.length, field.value.length);
    }
  });

  // A refused request (403 CSRF, 404, 500) is shown, not silently dropped.
  document.addEventListener("htmx:responseError", function (event) {
    var flash = document.getElementById("flash");
    if (flash) {
      flash.textContent = "Request failed (" + event.detail.xhr.status + "): " +
        (event.detail.xhr.responseText || "").replace(/<[^>]*>/g, "");
    }
  });
})();
