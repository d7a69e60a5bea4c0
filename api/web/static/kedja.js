// What every page shares. No page has inline script (the Content-Security-Policy allows none):
// a button with data-confirm="question" asks before its form is sent.
(function () {
  "use strict";
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
})();
