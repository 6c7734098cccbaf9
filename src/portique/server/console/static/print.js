"use strict";
// The print button of the on-site roster (no inline script: the CSP forbids it).
document.getElementById("print")?.addEventListener("click", (event) => {
  event.preventDefault();
  window.print();
});
