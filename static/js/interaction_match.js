// Shows interaction matches as the nurse types a medicine name (no inline script).
(function () {
  "use strict";
  var input = document.querySelector("[data-interaction-match]");
  var box = document.getElementById("interaction-matches");
  if (!input || !box) { return; }
  var timer = null;
  function render(matches) {
    box.textContent = "";
    matches.forEach(function (m) {
      var div = document.createElement("div");
      div.className = "alert alert-warning py-2 mb-2";
      var strong = document.createElement("strong");
      strong.textContent = "Interaction: " + m.ingredient + " (" + m.severity + ")";
      div.appendChild(strong);
      div.appendChild(document.createElement("br"));
      div.appendChild(document.createTextNode(m.effect + ". " + m.action));
      box.appendChild(div);
    });
  }
  function check() {
    var url = box.dataset.url + "?q=" + encodeURIComponent(input.value);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { matches: [] }; })
      .then(function (data) { render(data.matches); })
      .catch(function () { render([]); });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
  if (input.value) { check(); }
})();
