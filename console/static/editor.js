// Policy editors: keep the line numbers beside the JSON in step with the
// text as it is typed, and let the textarea grow with it. Without this the
// editor still works: the numbers are right for the text as it was loaded.
"use strict";
document.querySelectorAll("textarea[data-lines]").forEach(function (ta) {
  var gutter = document.getElementById(ta.getAttribute("data-lines"));
  if (!gutter) return;
  var min = ta.rows;
  function update() {
    var n = ta.value.split("\n").length + 1;
    var rows = Math.max(min, n);
    if (ta.rows !== rows) ta.rows = rows;
    var lines = [];
    for (var i = 1; i <= rows; i++) lines.push(i);
    var text = lines.join("\n");
    if (gutter.textContent !== text) gutter.textContent = text;
  }
  ta.addEventListener("input", update);
  update();
});
