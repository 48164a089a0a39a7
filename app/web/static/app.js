// Typeset the statement's LaTeX, show times in the reader's time zone, give regions that scroll by themselves
// a tab stop, let files be dropped on the submit form and show a bundle upload's progress. Every page
// works without this script (times then read in UTC).

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

// A region that scrolls by itself because it is wider than the screen (a table on a phone, a long
// line of code, a wide formula; see app.css) must be reachable by keyboard to be scrolled without a
// mouse: give it a tab stop while, and only while, it overflows.
var SCROLLERS = "table.grid, pre, .katex-display, .statement table";
function keyboardScrollable(root) {
  root.querySelectorAll(SCROLLERS).forEach(function (el) {
    var style = window.getComputedStyle(el);
    var scrolls = style.overflowX === "auto" || style.overflowX === "scroll";
    if (scrolls && el.scrollWidth > el.clientWidth + 1) {
      el.setAttribute("tabindex", "0");
    } else if (el.getAttribute("tabindex") === "0") {
      el.removeAttribute("tabindex");
    }
  });
}
window.addEventListener("resize", function () { keyboardScrollable(document); });
document.addEventListener("htmx:afterSettle", function () { keyboardScrollable(document); });

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
  keyboardScrollable(document);  // after KaTeX, whose formulas may be the widest thing on the page
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

// A bundle upload shows how much of the file has been sent; the server's answer (the check's
// page, or the form again with what to fix) then replaces the page as a normal submit would.
// Without JavaScript the form posts as usual.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-upload-progress]").forEach(bindUploadProgress);
});

function bindUploadProgress(form) {
  var status = form.querySelector("[data-upload-status]");
  var bar = status.querySelector("progress");
  var text = status.querySelector("[data-upload-text]");
  var button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", function (e) {
    if (!window.FormData || !window.XMLHttpRequest) { return; }
    e.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    status.hidden = false;
    button.disabled = true;
    text.textContent = "Sending the bundle…";
    xhr.upload.addEventListener("progress", function (ev) {
      if (!ev.lengthComputable) { return; }
      var percent = Math.floor((100 * ev.loaded) / ev.total);
      bar.value = percent;
      text.textContent = "Sent " + (ev.loaded / 1048576).toFixed(1) + " of " +
        (ev.total / 1048576).toFixed(1) + " MiB (" + percent + "%)";
    });
    xhr.upload.addEventListener("load", function () {
      bar.value = 100;
      text.textContent = "Sent. Starting the check…";
    });
    xhr.addEventListener("load", function () {
      var action = new URL(form.action, window.location.href).href;
      if (xhr.status < 400 && xhr.responseURL && xhr.responseURL !== action) {
        window.location.assign(xhr.responseURL);  // redirected to the check's page
        return;
      }
      // The form again, with the error saying what to fix: show that page's main part.
      var answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var fresh = answer.querySelector("main");
      var main = document.querySelector("main");
      if (fresh && main) {
        main.replaceWith(fresh);
        var again = fresh.querySelector("form[data-upload-progress]");
        if (again) { bindUploadProgress(again); }
        fresh.focus();
      } else {
        status.hidden = false;
        button.disabled = false;
        text.textContent = "The upload failed (HTTP " + xhr.status + "). Try again.";
      }
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      text.textContent = "The connection failed before the bundle was sent. Check your connection and try again.";
    });
    xhr.send(new FormData(form));
  });
}
