// Typeset the statement's LaTeX, and let files be dropped on the submit form (the form works without this).
document.addEventListener("DOMContentLoaded", function () {
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
