// Small helpers for printing and diagrams; every page works without this file.
(function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // Long text fields (data-limit, e.g. 4000) count what has been typed; the server refuses
  // more, with the count, whether or not this runs.
  document.querySelectorAll("textarea[data-limit]").forEach(function (area) {
    var limit = parseInt(area.getAttribute("data-limit"), 10);
    var counter = document.createElement("small");
    counter.className = "counter";
    counter.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", counter);
    function update() {
      var n = Array.from(area.value).length;
      counter.textContent = "已输入 " + n + " / " + limit + " 字" + (n > limit ? "，超出 " + (n - limit) + " 字" : "");
      counter.classList.toggle("over", n > limit);
    }
    area.addEventListener("input", update);
    update();
  });
  if (window.mermaid) {
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
    window.mermaid.run({ querySelector: "pre.mermaid" });
    // Zoom the large state diagram (it scrolls within its box either way).
    document.querySelectorAll("p.zoom").forEach(function (bar) {
      bar.hidden = false;
      var box = bar.nextElementSibling;
      bar.querySelectorAll("button[data-zoom]").forEach(function (button) {
        button.addEventListener("click", function () {
          var svg = box.querySelector("svg");
          if (!svg) { return; }
          var factor = parseFloat(button.getAttribute("data-zoom"));
          var width = factor ? svg.getBoundingClientRect().width * factor : box.clientWidth;
          svg.style.width = Math.max(400, Math.round(width)) + "px";
        });
      });
    });
  }
})();
