/* Console behaviours that Flask-Admin writes as inline handlers, which the
   Content-Security-Policy (script-src 'self') blocks: the delete confirmation
   and the list actions ("Avec la sélection"). */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (button && window.modelActions) {
      event.preventDefault();
      window.modelActions.execute(button.getAttribute("data-action"));
    }
  });
})();
