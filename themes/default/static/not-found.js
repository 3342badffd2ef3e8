// The 404 page opened from disk: no server maps its links, which start at
// the server's root (the brand link's address), so they become relative to
// the page, the site root's 404.html, each naming its index.html.
document.addEventListener("DOMContentLoaded", function () {
  if (location.protocol !== "file:") return;
  var root = document.querySelector(".brand").getAttribute("href");
  document.querySelectorAll("a[href], form[action]").forEach(function (el) {
    var name = el.tagName === "FORM" ? "action" : "href";
    var url = el.getAttribute(name);
    if (url.indexOf(root) !== 0) return;
    url = "./" + url.slice(root.length);
    el.setAttribute(name, url.replace(/\/(?=[?#]|$)/, "/index.html"));
  });
});
