// Shows the custom band fields only when "Custom band" is chosen.
(function () {
  "use strict";
  var preset = document.getElementById("id_preset");
  if (!preset) { return; }
  function sync() {
    var custom = preset.value === "custom";
    ["div_id_low", "div_id_high"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { el.hidden = !custom; }
    });
  }
  preset.addEventListener("change", sync);
  sync();
})();
