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

/* The Candidatures list's "Ajouter un filtre" menu and entries are "#" links (no
   inline handler): Bootstrap opens the menu, Flask-Admin's filters script adds the
   filter, this keeps the page (and its URL) still. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest(
      ".field-filters a.filter[href='#'], a.dropdown-toggle[href='#'][data-toggle='dropdown']");
    if (link) {
      event.preventDefault();
    }
  }, true);  // capture: the dropdown scripts stop the click before it bubbles up
})();

/* Column help links ("?" next to a list header): Bootstrap's tooltip moves their
   title away, which leaves the link nameless for screen readers; the help text
   becomes its accessible name. */
(function () {
  "use strict";
  function nameHelpLinks() {
    document.querySelectorAll("a[data-role='tooltip']").forEach(function (link) {
      var help = link.getAttribute("title") || link.getAttribute("data-original-title");
      if (help && !link.getAttribute("aria-label")) {
        link.setAttribute("aria-label", help);
      }
    });
  }
  nameHelpLinks();
  document.addEventListener("DOMContentLoaded", nameHelpLinks);
})();
