/* The main menu on a phone: folded behind its "Menu" button (aria-expanded says
   whether it is open), Escape folds it back and returns to the button. On a wide
   screen the CSS shows the menu and hides the button (static/css/ecandidat.css). */
(function () {
  "use strict";
  var nav = document.querySelector("[data-main-nav]");
  var toggle = nav && nav.querySelector("[data-menu-toggle]");
  if (!toggle) {
    return;
  }
  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("menu-open", open);
  }
  nav.classList.add("menu-collapsible");
  toggle.hidden = false;
  setOpen(false);
  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  nav.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
})();
