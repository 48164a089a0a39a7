// Every page: a table that is wider than a phone's screen scrolls by itself (see app.css); make it
// reachable by keyboard so it can be scrolled without a mouse. Runs again when htmx swaps content in.
(function () {
  function focusableWideTables(root) {
    root.querySelectorAll("table.grid").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.setAttribute("tabindex", "0");
      } else if (table.getAttribute("tabindex") === "0") {
        table.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { focusableWideTables(document); });
  window.addEventListener("resize", function () { focusableWideTables(document); });
  document.addEventListener("htmx:afterSettle", function () { focusableWideTables(document); });
})();
