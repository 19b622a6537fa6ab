/* A picture chosen in a form is shown right under its field before the form is sent, so the
   person sees which photo they picked. Without JavaScript the form works the same. */
(function () {
  "use strict";
  if (!window.URL || typeof window.URL.createObjectURL !== "function") { return; }
  var inputs = document.querySelectorAll('input[type="file"][accept^="image/"]');
  Array.prototype.forEach.call(inputs, function (input) {
    var shown = null;
    input.addEventListener("change", function () {
      if (shown) {
        window.URL.revokeObjectURL(shown.src);
        shown.remove();
        shown = null;
      }
      var file = input.files && input.files[0];
      if (!file || file.type.indexOf("image/") !== 0) { return; }
      shown = document.createElement("img");
      shown.className = "image-preview";
      shown.alt = "";  // the description is written in its own field, next to this one
      shown.src = window.URL.createObjectURL(file);
      input.insertAdjacentElement("afterend", shown);
    });
  });
}());
