// castor's browser search: no server, no third-party code.
//
// On every page, "/" focuses the search box. On /search/, the index under
// search/index/ is fetched lazily: meta.json first, then one shard per
// query word (terms sharing their first characters) and only the chunks of
// document metadata the results need. The query and every indexed value
// reach the page as text nodes, never as HTML.
"use strict";

(function () {
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (event.key !== "/" || typing || event.ctrlKey || event.metaKey || event.altKey) return;
    var box = document.getElementById("search-query") || document.querySelector(".search-box input");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var page = document.getElementById("search");
    if (page) setUp(page);
  });

  var MAX_RESULTS = 20;

  function setUp(page) {
    var base = page.getAttribute("data-index");
    var input = document.getElementById("search-query");
    var category = document.getElementById("search-category");
    var year = document.getElementById("search-year");
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    var cache = {};
    var meta = null;
    var generation = 0;

    function fetchJson(path) {
      if (!cache[path]) {
        cache[path] = fetch(base + path).then(function (response) {
          if (!response.ok) throw new Error(path + ": " + response.status);
          return response.json();
        });
      }
      return cache[path];
    }

    // The same rule as `words()` in src/search/browser.rs.
    function words(text, stopWords) {
      return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(function (w) {
        return Array.from(w).length >= 2 && stopWords.indexOf(w) < 0;
      });
    }

    // Postings of every indexed term starting with `word`: typing "certif"
    // already finds "certificate" and "certificates".
    function lookUp(word) {
      var key = Array.from(word).slice(0, meta.prefix).join("");
      if (meta.shards.indexOf(key) < 0) return Promise.resolve({});
      return fetchJson("t/" + encodeURIComponent(key) + ".json").then(function (shard) {
        var scores = {};
        Object.keys(shard).forEach(function (term) {
          if (term !== word && !(term.indexOf(word) === 0 && Array.from(word).length >= 3)) return;
          var list = shard[term];
          var df = list.length / 2;
          var idf = Math.log(1 + meta.docs / df);
          // An exact match counts more than a longer word it starts.
          var exact = term === word ? 1 : 0.7;
          var doc = 0;
          for (var i = 0; i < list.length; i += 2) {
            doc += list[i];
            var score = list[i + 1] * idf * exact;
            if (!(scores[doc] >= score)) scores[doc] = score;
          }
        });
        return scores;
      });
    }

    function run() {
      var mine = ++generation;
      var query = input.value.trim();
      var url = new URL(window.location.href);
      url.searchParams.set("q", query);
      history.replaceState(null, "", url);
      if (!query) {
        list.textContent = "";
        status.textContent = "";
        return;
      }
      status.textContent = "Searching…";
      fetchJson("meta.json")
        .then(function (m) {
          meta = m;
          var terms = words(query, meta.stop_words);
          return Promise.all(terms.map(lookUp)).then(function (perWord) {
            return { terms: terms, perWord: perWord };
          });
        })
        .then(function (found) {
          var ranked = rank(found.perWord);
          var shown = ranked.slice(0, MAX_RESULTS);
          var chunks = {};
          shown.forEach(function (hit) { chunks[Math.floor(hit.doc / meta.chunk)] = true; });
          return Promise.all(Object.keys(chunks).map(function (n) {
            return fetchJson("d/" + n + ".json").then(function (docs) { return [n, docs]; });
          })).then(function (loaded) {
            var byChunk = {};
            loaded.forEach(function (pair) { byChunk[pair[0]] = pair[1]; });
            if (mine !== generation) return;
            show(query, found.terms, ranked.length, shown.map(function (hit) {
              return byChunk[Math.floor(hit.doc / meta.chunk)][hit.doc % meta.chunk];
            }));
          });
        })
        .catch(function (error) {
          if (mine === generation) status.textContent = "Search failed: " + error.message;
        });
    }

    // Documents matching every word, best first, within the filters.
    function rank(perWord) {
      if (!perWord.length) return [];
      var wantCategory = category.value
        ? meta.categories.findIndex(function (c) { return c[1] === category.value; })
        : null;
      var wantYear = year.value ? Number(year.value) : null;
      var hits = [];
      Object.keys(perWord[0]).forEach(function (key) {
        var doc = Number(key);
        if (wantCategory !== null && meta.category[doc] !== wantCategory) return;
        if (wantYear !== null && meta.year[doc] !== wantYear) return;
        var total = 0;
        for (var i = 0; i < perWord.length; i++) {
          if (perWord[i][doc] === undefined) return;
          total += perWord[i][doc];
        }
        hits.push({ doc: doc, score: total });
      });
      hits.sort(function (a, b) { return b.score - a.score || a.doc - b.doc; });
      return hits;
    }

    function show(query, terms, total, docs) {
      list.textContent = "";
      status.textContent = total === 0
        ? "No results for “" + query + "”."
        : total + (total === 1 ? " result" : " results") + " for “" + query + "”" +
          (total > docs.length ? ", the first " + docs.length + " shown." : ".");
      docs.forEach(function (d) {
        var item = document.createElement("li");
        var heading = document.createElement("h2");
        var link = document.createElement("a");
        link.href = base + "../../" + d.url;
        link.textContent = d.title;
        heading.appendChild(link);
        item.appendChild(heading);
        var facts = [d.company, d.date, d.category || (d.kind === "advice" ? "Advice" : "")]
          .filter(Boolean);
        var metaLine = document.createElement("p");
        metaLine.className = "meta";
        metaLine.textContent = facts.join(" · ");
        item.appendChild(metaLine);
        var snippet = document.createElement("p");
        snippet.className = "snippet";
        highlight(snippet, d.summary, terms);
        item.appendChild(snippet);
        list.appendChild(item);
      });
    }

    // Appends `text` to `parent`, with the words starting with a query
    // term in <mark>; built from text nodes only.
    function highlight(parent, text, terms) {
      var parts = text.split(/([\p{L}\p{N}]+)/u);
      parts.forEach(function (part) {
        var lower = part.toLowerCase();
        var hit = terms.some(function (t) { return lower.indexOf(t) === 0; });
        if (hit) {
          var mark = document.createElement("mark");
          mark.textContent = part;
          parent.appendChild(mark);
        } else if (part) {
          parent.appendChild(document.createTextNode(part));
        }
      });
    }

    var timer = null;
    function later() {
      clearTimeout(timer);
      timer = setTimeout(run, 120);
    }
    input.addEventListener("input", later);
    category.addEventListener("change", run);
    year.addEventListener("change", run);
    page.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      run();
    });

    var params = new URLSearchParams(window.location.search);
    input.value = params.get("q") || "";
    if (input.value) run();
    input.focus();
  }
})();
