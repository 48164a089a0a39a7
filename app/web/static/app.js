// Typeset the statement's LaTeX, show times in the reader's time zone, and let files be dropped on the
// submit form. Every page works without this script (times then read in UTC).

// <time datetime="...Z" data-local> elements: the server wrote the UTC time; show the local one
// ("2026-03-01 09:30 EST"), keeping the UTC text in the title for hover.
function localTimes(root) {
  root.querySelectorAll("time[data-local]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when.getTime())) { return; }
    var parts = {};
    new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23", timeZoneName: "short",
    }).formatToParts(when).forEach(function (p) { parts[p.type] = p.value; });
    el.textContent = parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute +
      " " + parts.timeZoneName;
  });
}

// Content that htmx swaps in (a submission's live results) gets local times too.
document.addEventListener("htmx:load", function (e) {
  if (e.detail && e.detail.elt && e.detail.elt.querySelectorAll) { localTimes(e.detail.elt); }
});

document.addEventListener("DOMContentLoaded", function () {
  localTimes(document);
  // Typeset only the formulas the server marked (class "math"): text outside them, such as a
  // literal dollar or a price, is never read as LaTeX.
  if (window.katex) {
    document.querySelectorAll("[data-math] .math").forEach(function (el) {
      window.katex.render(el.textContent, el, {
        displayMode: el.classList.contains("display"), throwOnError: false,
      });
    });
  }
  document.querySelectorAll("[data-dropzone]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (e) { e.preventDefault(); form.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function (e) { e.preventDefault(); form.classList.remove("over"); });
    });
    form.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; }
    });
  });
});
