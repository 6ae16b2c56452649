// upload.js: drag and drop for the upload form. Without it the form works as it
// is (a file picker taking several files); with it, files dropped on #drop-zone
// become the picker's files and their names are listed in #chosen-files.
(function () {
  "use strict";
  var zone = document.getElementById("drop-zone");
  var input = document.getElementById("files");
  var list = document.getElementById("chosen-files");
  if (!zone || !input || !list) {
    return;
  }

  function show() {
    list.textContent = "";
    for (var i = 0; i < input.files.length; i++) {
      var li = document.createElement("li");
      li.textContent = input.files[i].name + " (" + input.files[i].size + " bytes)";
      list.appendChild(li);
    }
  }

  function stop(e) {
    e.preventDefault();
    e.stopPropagation();
  }

  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) {
      stop(e);
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function (e) {
      stop(e);
      zone.classList.remove("dragging");
    });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length > 0) {
      input.files = e.dataTransfer.files;
      show();
    }
  });
  input.addEventListener("change", show);
})();
