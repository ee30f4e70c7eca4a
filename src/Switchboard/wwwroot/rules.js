// Rules page (/rules): import a YAML file into the editor (the manager then saves it as a new version), and send
// the editor's current text along with the what-if form so the draft is evaluated without being saved.
(function () {
    "use strict";
    function init() {
        var editor = document.getElementById("rules-yaml");
        if (!editor) return;
        var importInput = document.getElementById("rules-import");
        if (importInput) {
            importInput.addEventListener("change", function () {
                var file = importInput.files && importInput.files[0];
                if (!file) return;
                if (file.size > 1048576) {
                    alert("That file is larger than 1 MiB, the configuration limit.");
                    importInput.value = "";
                    return;
                }
                file.text().then(function (text) { editor.value = text; });
            });
        }
        var whatIf = document.getElementById("whatif-form");
        var draft = document.getElementById("whatif-yaml");
        if (whatIf && draft) {
            whatIf.addEventListener("submit", function () { draft.value = editor.value; });
        }
    }
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
    else init();
})();
