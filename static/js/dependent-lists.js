/*
 * Dependent lists of the "Mon compte" forms, refreshed without reloading the page.
 *
 * - <select data-source="/api/communes" data-parent="departement" data-param="departement">:
 *   when the field whose id is data-parent changes, the options are fetched from
 *   data-source?<data-param>=<parent value> (JSON [{value, label, flag: true…}]); a
 *   still-listed choice is kept, and "change" is fired so that grandchildren follow.
 *   A true flag becomes a data-<flag> attribute of the option.
 * - <div data-show-if="pays" data-equals="100">, data-not-equals="…" or
 *   data-option-flag="specialites" (the chosen option carries data-specialites):
 *   the group is shown or hidden, and its fields disabled while hidden so that
 *   they are not sent.
 * - [data-nojs-only] (the "Actualiser les listes" button) is hidden: not needed here.
 *
 * Without this script the pages still work: the server renders the same state.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 300;

  function controlValue(control) {
    if (control.type === "checkbox") {
      return control.checked ? control.value : "";
    }
    return control.value;
  }

  function fillOptions(select, items) {
    var previous = select.value;
    var placeholder = select.querySelector('option[value=""]');
    select.replaceChildren();
    if (placeholder) {
      select.append(placeholder);
    }
    items.forEach(function (item) {
      var option = new Option(item.label, item.value);
      Object.keys(item).forEach(function (key) {
        if (item[key] === true) {
          option.dataset[key] = "1";
        }
      });
      select.append(option);
    });
    var kept = items.some(function (item) { return item.value === previous; });
    select.value = kept ? previous : "";
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function watchParent(select) {
    var parent = document.getElementById(select.dataset.parent);
    if (!parent) {
      return;
    }
    var latest = 0;
    var timer = null;

    function refresh() {
      var request = ++latest;
      var url = new URL(select.dataset.source, window.location.href);
      url.searchParams.set(select.dataset.param || parent.name, parent.value.trim());
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.statusText);
          }
          return response.json();
        })
        .then(function (items) {
          // Answers may cross while typing: only the last request counts.
          if (request === latest) {
            fillOptions(select, items);
          }
        })
        .catch(function () {
          // Keep the current options: saving still checks every value.
        });
    }

    parent.addEventListener("change", refresh);
    if (parent.tagName === "INPUT") {
      parent.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(refresh, DEBOUNCE_MS);
      });
    }
  }

  function groupWanted(group) {
    var control = document.getElementById(group.dataset.showIf);
    if (!control) {
      return !group.hidden;
    }
    if (group.dataset.optionFlag) {
      var option = control.selectedOptions && control.selectedOptions[0];
      return Boolean(option && option.dataset[group.dataset.optionFlag] === "1");
    }
    if ("equals" in group.dataset) {
      return controlValue(control) === group.dataset.equals;
    }
    return controlValue(control) !== group.dataset.notEquals;
  }

  // Groups are visited in document order, so a group inside another one is
  // settled last; a field is enabled only if no enclosing group is hidden.
  function updateGroups() {
    document.querySelectorAll("[data-show-if]").forEach(function (group) {
      group.hidden = !groupWanted(group);
      group.querySelectorAll("input, select, textarea").forEach(function (field) {
        field.disabled = Boolean(field.closest("[hidden]"));
      });
    });
  }

  document.querySelectorAll("select[data-source][data-parent]").forEach(watchParent);
  document.querySelectorAll("[data-nojs-only]").forEach(function (element) {
    element.hidden = true;
  });
  document.addEventListener("change", updateGroups);
  updateGroups();
}());
