/*
 * Offre de formation: a double-click on a formation's row opens the formation, as in
 * the candidate guide. Only a shortcut: the title link in each row does the same with
 * one click or from the keyboard, and the page works without this script.
 */
(function () {
  "use strict";

  document.addEventListener("dblclick", function (event) {
    var row = event.target.closest ? event.target.closest("tr.formation-row") : null;
    if (!row || event.target.closest("a, button, input, select, textarea")) {
      return;  // a link or control already acts on the first click
    }
    var link = row.querySelector("a.formation-link");
    if (link) {
      window.location.assign(link.href);
    }
  });
}());
