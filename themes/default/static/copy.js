// castor: the "Copy" buttons of incident pages. Without JavaScript the
// buttons stay hidden and the text remains selectable as any other.
(function () {
  "use strict";

  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // Older browsers, and pages not served over HTTPS, have no clipboard
  // API: select the text and try the legacy copy command instead.
  function fallback(element, status) {
    select(element);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (e) {
      copied = false;
    }
    status.textContent = copied ? "Copied" : "Selected: press Ctrl+C (⌘C on a Mac) to copy";
  }

  function setUp(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!source || !status) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      status.textContent = "";
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(
          function () { status.textContent = "Copied"; },
          function () { fallback(source, status); }
        );
      } else {
        fallback(source, status);
      }
    });
  }

  document.querySelectorAll("button[data-copy]").forEach(setUp);
})();
