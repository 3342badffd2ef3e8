// castor's browser search: no server, no third-party code, and the same
// words, stems and ranking as `castor search` (src/search/browser.rs writes
// the index this reads).
//
// The index's files are scripts calling castorIndex(name, data), loaded
// with <script> elements only when a query needs them: that works from
// file://, where fetch() does not, and from any static server. The query
// and every indexed value reach the page as text nodes, never as HTML.
"use strict";

(function (root) {
  var PAGE = 10;
  var SUGGESTIONS = 5;
  var EXCERPT_WORDS = 30;

  // --- Words, as tantivy's analyzer splits them (src/search/stem.rs):
  // runs of alphabetic or numeric characters, lowercased, under 40 bytes.
  function words(text) {
    return text.split(/[^\p{Alphabetic}\p{N}]+/u).filter(function (w) {
      return w && utf8Length(w) < 40;
    }).map(lower);
  }

  // Lowercased a character at a time, as tantivy does: a word-final
  // capital sigma becomes σ, not ς.
  function lower(word) {
    return Array.from(word).map(function (c) { return c.toLowerCase(); }).join("");
  }

  function utf8Length(text) {
    var n = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c < 0xdc00) { n += 4; i++; }
      else n += 3;
    }
    return n;
  }

  // A query: plain words, "phrases" (every word required, in order) and
  // -words (excluded).
  function parse(query) {
    var parts = { words: [], phrases: [], excluded: [] };
    var re = /(-?)"([^"]*)"?|(\S+)/g;
    var m;
    while ((m = re.exec(query))) {
      if (m[2] !== undefined) {
        var phrase = words(m[2]);
        if (m[1]) parts.excluded = parts.excluded.concat(phrase);
        else if (phrase.length) { parts.phrases.push(phrase); parts.words = parts.words.concat(phrase); }
      } else if (m[3].charAt(0) === "-" && m[3].length > 1) {
        parts.excluded = parts.excluded.concat(words(m[3].slice(1)));
      } else {
        parts.words = parts.words.concat(words(m[3]));
      }
    }
    return parts;
  }

  // Optimal string alignment distance, stopping past `max`.
  function distance(a, b, max) {
    a = Array.from(a); b = Array.from(b);
    if (Math.abs(a.length - b.length) > max) return max + 1;
    var prev2 = null, prev = [], cur;
    for (var j = 0; j <= b.length; j++) prev[j] = j;
    for (var i = 1; i <= a.length; i++) {
      cur = [i];
      var best = i;
      for (j = 1; j <= b.length; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
        if (prev2 && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          d = Math.min(d, prev2[j - 2] + 1);
        }
        cur[j] = d;
        if (d < best) best = d;
      }
      if (best > max) return max + 1;
      prev2 = prev; prev = cur;
    }
    return prev[b.length];
  }

  // --- The engine: `load(name)` gives a promise of an index file's data.
  function Engine(load) {
    this.load = load;
    this.meta = null;
  }

  Engine.prototype.start = function () {
    var self = this;
    return this.load("meta").then(function (meta) { self.meta = meta; return meta; });
  };

  // The shard a word's entries are in: its longest prefix among the keys.
  Engine.prototype.shardOf = function (word) {
    var chars = Array.from(word);
    for (var n = Math.min(4, chars.length); n > 0; n--) {
      var key = chars.slice(0, n).join("");
      if (this.meta.shards.indexOf(key) >= 0) return key;
    }
    return null;
  };

  Engine.prototype.shard = function (word) {
    var key = this.shardOf(word);
    return key === null ? Promise.resolve({ s: {}, w: {} }) : this.load("t/" + key);
  };

  // A word's stem and postings ({doc: score}), or null when the site does
  // not hold the word. The stem is looked up, never computed here.
  Engine.prototype.postings = function (word) {
    var self = this;
    return this.shard(word).then(function (shard) {
      var stem = shard.w[word] || word;
      var scale = self.meta.score_scale;
      if (shard.s[stem]) return { stem: stem, docs: decode(shard.s[stem], scale) };
      if (!shard.w[word]) return null;
      return self.shard(stem).then(function (other) {
        return other.s[stem] ? { stem: stem, docs: decode(other.s[stem], scale) } : null;
      });
    });
  };

  // Postings (src/search/browser.rs, `encode`): base64 of, for each
  // document, its distance from the previous one as a varint, then its
  // score as one byte on a log scale.
  function decode(text, scale) {
    var bytes = atob(text);
    var out = {};
    var doc = 0;
    for (var i = 0; i < bytes.length;) {
      var delta = 0, shift = 0, b;
      do {
        b = bytes.charCodeAt(i++);
        delta += (b & 0x7f) * Math.pow(2, shift);
        shift += 7;
      } while (b & 0x80);
      doc += delta;
      out[doc] = Math.exp(bytes.charCodeAt(i++) / scale) - 1;
    }
    return out;
  }

  // A word the site does not hold: its close spellings that it does.
  Engine.prototype.spellings = function (word) {
    var length = Array.from(word).length;
    if (length < this.meta.typo_min) return Promise.resolve([]);
    var max = length >= 9 ? 2 : 1;
    return this.load("v/" + length).then(function (list) {
      var found = [];
      list.forEach(function (entry) {
        var d = distance(word, entry[0], max);
        if (d <= max) found.push({ word: entry[0], distance: d, docs: entry[2] });
      });
      found.sort(function (a, b) { return a.distance - b.distance || b.docs - a.docs; });
      var best = found.length ? found[0].distance : 0;
      return found.filter(function (f) { return f.distance === best; }).map(function (f) { return f.word; });
    }, function () { return []; });
  };

  // Each query word's postings, its close spellings standing in for a
  // word the site does not hold, and "datacenter" for "data center".
  Engine.prototype.terms = function (parts) {
    var self = this;
    var stop = this.meta.stop_words;
    var common = parts.words.filter(function (w) { return stop.indexOf(w) >= 0; });
    var plain = parts.words.filter(function (w) { return stop.indexOf(w) < 0; });
    return Promise.all(plain.map(function (word) {
      return self.postings(word).then(function (found) {
        if (found) return { word: word, postings: found.docs, shown: [word], stems: [found.stem] };
        return self.spellings(word).then(function (alternatives) {
          return Promise.all(alternatives.map(function (a) { return self.postings(a); })).then(function (lists) {
            lists = lists.filter(Boolean);
            return {
              word: word,
              postings: best(lists.map(function (l) { return l.docs; })),
              shown: alternatives,
              stems: lists.map(function (l) { return l.stem; }),
              corrected: alternatives.length > 0
            };
          });
        });
      });
    })).then(function (terms) {
      var joined = [];
      for (var i = 0; i + 1 < terms.length; i++) joined.push(terms[i].word + terms[i + 1].word);
      return Promise.all(joined.map(function (j) { return self.postings(j); })).then(function (lists) {
        lists.forEach(function (found, i) {
          if (!found) return;
          var list = found.docs;
          [terms[i], terms[i + 1]].forEach(function (t) {
            Object.keys(list).forEach(function (doc) {
              if (!(t.postings[doc] >= list[doc] / 2)) t.postings[doc] = list[doc] / 2;
            });
          });
        });
        return Promise.all(parts.excluded.map(function (w) { return self.postings(w); }));
      }).then(function (excluded) {
        excluded = excluded.filter(Boolean).map(function (e) { return e.docs; });
        return { terms: terms, common: common, excluded: excluded };
      });
    });
  };

  function best(lists) {
    var out = {};
    lists.forEach(function (list) {
      if (!list) return;
      Object.keys(list).forEach(function (doc) {
        if (!(out[doc] >= list[doc])) out[doc] = list[doc];
      });
    });
    return out;
  }

  // Documents with every word first, best score first; when they are
  // fewer than a page, those with most of the words follow. Ties go to
  // the lower number: the newer incident, as `castor search` orders them.
  Engine.prototype.rank = function (found, required) {
    var terms = found.terms;
    var matched = {};
    terms.forEach(function (t) {
      Object.keys(t.postings).forEach(function (doc) {
        var m = matched[doc] || (matched[doc] = { doc: Number(doc), words: 0, score: 0 });
        m.words += 1;
        m.score += t.postings[doc];
      });
    });
    found.excluded.forEach(function (list) {
      Object.keys(list).forEach(function (doc) { delete matched[doc]; });
    });
    var hits = Object.keys(matched).map(function (k) { return matched[k]; }).filter(function (h) {
      return required.every(function (i) { return terms[i].postings[h.doc] !== undefined; });
    });
    hits.sort(function (a, b) { return b.words - a.words || b.score - a.score || a.doc - b.doc; });
    var all = hits.filter(function (h) { return h.words === terms.length; }).length;
    return all >= PAGE ? hits.slice(0, all) : hits;
  };

  Engine.prototype.search = function (query) {
    var self = this;
    var parts = parse(query);
    return this.terms(parts).then(function (found) {
      var phraseWords = {};
      parts.phrases.forEach(function (p) { p.forEach(function (w) { phraseWords[w] = true; }); });
      var required = [];
      found.terms.forEach(function (t, i) { if (phraseWords[t.word]) required.push(i); });
      found.hits = self.rank(found, required);
      found.phrases = parts.phrases;
      return found;
    });
  };

  Engine.prototype.record = function (doc) { return this.load("d/" + doc); };

  // Each document's terms of every facet, loaded by chunk.
  Engine.prototype.facets = function (docs) {
    var self = this;
    var chunks = {};
    docs.forEach(function (d) { chunks[Math.floor(d / self.meta.facet_chunk)] = true; });
    return Promise.all(Object.keys(chunks).map(function (n) {
      return self.load("f/" + n).then(function (rows) { return [Number(n), rows]; });
    })).then(function (loaded) {
      var byChunk = {};
      loaded.forEach(function (pair) { byChunk[pair[0]] = pair[1]; });
      return function (doc) { return byChunk[Math.floor(doc / self.meta.facet_chunk)][doc % self.meta.facet_chunk]; };
    });
  };

  // The passage of about 30 words with the most query words, and the
  // section it is in. A word matches a query word, or starts with its
  // stem ("replication" for "replic").
  function excerpt(record, stems) {
    var bestPassage = null;
    record.sections.forEach(function (section) {
      var tokens = section[1].split(/(\s+)/);
      var wordsAt = [];
      tokens.forEach(function (t, i) { if (/\S/.test(t)) wordsAt.push(i); });
      for (var start = 0; start < Math.max(1, wordsAt.length - EXCERPT_WORDS + 1); start += 5) {
        var seen = {};
        var count = 0;
        wordsAt.slice(start, start + EXCERPT_WORDS).forEach(function (i) {
          words(tokens[i]).forEach(function (w) {
            var hit = stems.filter(function (s) { return w.indexOf(s) === 0; })[0];
            if (hit && !seen[hit]) { seen[hit] = true; count++; }
          });
        });
        if (!bestPassage || count > bestPassage.count) {
          bestPassage = { count: count, anchor: section[0], tokens: tokens, from: wordsAt[start] || 0, to: wordsAt[Math.min(start + EXCERPT_WORDS, wordsAt.length) - 1] };
        }
      }
    });
    return bestPassage;
  }

  // --- The page.
  function pageLoader(base) {
    var pending = {};
    var cache = {};
    root.castorIndex = function (name, data) {
      var waiting = pending[name];
      if (waiting) { delete pending[name]; waiting(data); }
    };
    return function (name) {
      if (!cache[name]) {
        cache[name] = new Promise(function (resolve, reject) {
          pending[name] = resolve;
          var script = document.createElement("script");
          script.src = base + name.split("/").map(encodeURIComponent).join("/") + ".js";
          script.onerror = function () { delete pending[name]; delete cache[name]; reject(new Error("cannot load " + name)); };
          document.head.appendChild(script);
        });
      }
      return cache[name];
    };
  }

  function text(tag, content, className) {
    var node = document.createElement(tag);
    if (content) node.textContent = content;
    if (className) node.className = className;
    return node;
  }

  function facts(record) {
    return [record.company, record.date, record.category || (record.kind === "advice" ? "Advice" : "")]
      .filter(Boolean).join(" · ");
  }

  // Appends the excerpt to `parent`, the query's words in <mark>.
  function showExcerpt(parent, passage, stems) {
    if (passage.from > 0) parent.appendChild(document.createTextNode("… "));
    passage.tokens.slice(passage.from, passage.to + 1).forEach(function (token) {
      token.split(/([\p{Alphabetic}\p{N}]+)/u).forEach(function (part) {
        if (!part) return;
        var folded = lower(part);
        var hit = /[\p{Alphabetic}\p{N}]/u.test(part) && stems.some(function (s) { return folded.indexOf(s) === 0; });
        parent.appendChild(hit ? text("mark", part) : document.createTextNode(part));
      });
    });
    if (passage.to < passage.tokens.length - 1) parent.appendChild(document.createTextNode(" …"));
  }

  function stemsOf(found) {
    var out = [];
    found.terms.forEach(function (t) { out = out.concat(t.stems); });
    return out;
  }

  function setUpPage(engine, siteRoot, input) {
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    var more = document.getElementById("search-more");
    // One filter per facet of the index that the page has a select for.
    var filters = engine.meta.facets.map(function (facet, i) {
      return { facet: facet, column: i, select: document.getElementById("search-" + facet.key) };
    }).filter(function (f) { return f.select; });
    var state = null;
    var generation = 0;

    function run() {
      var mine = ++generation;
      var query = input.value.trim();
      var url = new URL(window.location.href);
      url.searchParams.set("q", query);
      history.replaceState(null, "", url);
      list.textContent = "";
      more.hidden = true;
      if (!query) { status.textContent = ""; return; }
      status.textContent = "Searching…";
      engine.search(query).then(function (found) {
        return engine.facets(found.hits.map(function (h) { return h.doc; })).then(function (row) {
          if (mine !== generation) return;
          state = { found: found, row: row, shown: 0, hits: filter(found.hits, row) };
          counts(found.hits, row);
          summarise(query, found, state.hits.length);
          showMore();
        });
      }).catch(function (error) {
        if (mine === generation) status.textContent = "Search failed: " + error.message;
      });
    }

    function filter(hits, row) {
      return hits.filter(function (h) {
        var r = row(h.doc);
        return filters.every(function (f) {
          var want = f.select.value;
          return want === "" || termsOf(r, f).map(String).indexOf(want) >= 0;
        });
      });
    }

    // A document's terms of a filter's facet: one number, or a list.
    function termsOf(row, f) {
      return [].concat(row[f.column]).filter(function (v) { return v !== -1; });
    }

    // Each filter's values with their number of results for the query,
    // most results first, then in the facet's own order.
    function counts(hits, row) {
      filters.forEach(function (f) {
        var tally = {};
        hits.forEach(function (h) {
          termsOf(row(h.doc), f).forEach(function (v) { tally[v] = (tally[v] || 0) + 1; });
        });
        var keep = f.select.value;
        var any = f.select.options[0];
        f.select.textContent = "";
        f.select.appendChild(any);
        Object.keys(tally).sort(function (a, b) { return tally[b] - tally[a] || a - b; }).forEach(function (v) {
          f.select.appendChild(new Option(f.facet.values[v] + " (" + tally[v] + ")", v));
        });
        f.select.value = keep;
      });
    }

    function summarise(query, found, total) {
      var corrected = found.terms.filter(function (t) { return t.corrected; });
      var note = corrected.length
        ? "Showing results for " + found.terms.map(function (t) { return t.shown.join(" or "); }).join(" ") + ". "
        : "";
      if (found.common.length && !found.terms.length) note += "Words too common to be indexed: " + found.common.join(", ") + ". ";
      status.textContent = note + (total === 0
        ? "No results for “" + query + "”."
        : total + (total === 1 ? " result" : " results") + " for “" + query + "”.");
    }

    // Shows the next page of results; a phrase is checked in each text.
    function showMore() {
      var slice = state.hits.slice(state.shown, state.shown + PAGE);
      state.shown += slice.length;
      var stems = stemsOf(state.found);
      Promise.all(slice.map(function (h) { return engine.record(h.doc); })).then(function (records) {
        records.forEach(function (record) {
          var all = " " + words(record.title + " " + record.sections.map(function (s) { return s[1]; }).join(" ")).join(" ") + " ";
          var phrasesHold = state.found.phrases.every(function (p) { return all.indexOf(" " + p.join(" ") + " ") >= 0; });
          if (!phrasesHold) return;
          var item = text("li");
          var heading = text("h2");
          var link = text("a", record.title);
          link.href = siteRoot + record.url;
          heading.appendChild(link);
          item.appendChild(heading);
          item.appendChild(text("p", facts(record), "meta"));
          var passage = excerpt(record, stems);
          var snippet = text("p", "", "snippet");
          if (passage && passage.count) {
            showExcerpt(snippet, passage, stems);
            if (passage.anchor) {
              var section = text("a", "In this section", "section-link");
              section.href = siteRoot + record.url + "#" + passage.anchor;
              snippet.appendChild(document.createTextNode(" "));
              snippet.appendChild(section);
            }
          } else {
            snippet.textContent = record.summary;
          }
          item.appendChild(snippet);
          list.appendChild(item);
        });
        more.hidden = state.shown >= state.hits.length;
      });
    }

    filters.forEach(function (f) {
      f.select.addEventListener("change", function () {
        if (!state) return;
        state.hits = filter(state.found.hits, state.row);
        state.shown = 0;
        list.textContent = "";
        summarise(input.value.trim(), state.found, state.hits.length);
        showMore();
      });
    });
    more.addEventListener("click", showMore);
    keyboard(list, function () { return list.querySelectorAll("h2 a"); });
    var timer = null;
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 120); });
    input.form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
    input.value = new URLSearchParams(window.location.search).get("q") || "";
    if (input.value) run();
    input.focus();
  }

  // Arrow keys move through `links()`, Enter follows the one focused.
  function keyboard(container, links) {
    container.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      var all = Array.prototype.slice.call(links());
      var at = all.indexOf(document.activeElement);
      var next = event.key === "ArrowDown" ? at + 1 : at - 1;
      if (next >= 0 && next < all.length) { all[next].focus(); event.preventDefault(); }
    });
  }

  // The header box on every other page: the best five as you type.
  function setUpBox(engine, siteRoot, input, searchPage) {
    var box = document.getElementById("search-suggestions");
    var generation = 0;
    function close() { box.hidden = true; box.textContent = ""; input.setAttribute("aria-expanded", "false"); }
    input.addEventListener("input", function () {
      var mine = ++generation;
      var query = input.value.trim();
      if (!query) { close(); return; }
      engine.search(query).then(function (found) {
        return Promise.all(found.hits.slice(0, SUGGESTIONS).map(function (h) { return engine.record(h.doc); }));
      }).then(function (records) {
        if (mine !== generation) return;
        box.textContent = "";
        records.forEach(function (record) {
          var item = text("li");
          var link = text("a", record.title);
          link.href = siteRoot + record.url;
          item.appendChild(link);
          item.appendChild(text("span", " " + facts(record), "meta"));
          box.appendChild(item);
        });
        box.hidden = records.length === 0;
        input.setAttribute("aria-expanded", String(records.length > 0));
      }).catch(close);
    });
    input.addEventListener("keydown", function (event) {
      // Escape closes the suggestions; only a second one clears the box.
      if (event.key === "Escape" && !box.hidden) { close(); event.preventDefault(); }
      if (event.key === "ArrowDown" && !box.hidden) { var first = box.querySelector("a"); if (first) { first.focus(); event.preventDefault(); } }
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { close(); input.focus(); }
    });
    keyboard(box, function () { return box.querySelectorAll("a"); });
    input.form.action = searchPage;
  }

  if (typeof module !== "undefined") {
    module.exports = { words: words, parse: parse, distance: distance, Engine: Engine };
    return;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (event.key !== "/" || typing || event.ctrlKey || event.metaKey || event.altKey) return;
    var input = document.querySelector(".search-box input");
    if (input) { event.preventDefault(); input.focus(); input.select(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector(".search-box");
    if (!form) return;
    var base = form.getAttribute("data-index");
    var engine = new Engine(pageLoader(base));
    var input = form.querySelector("input");
    engine.start().then(function (meta) {
      var siteRoot = base + meta.root;
      if (document.getElementById("search")) setUpPage(engine, siteRoot, input);
      else setUpBox(engine, siteRoot, input, siteRoot + "search/");
    }).catch(function (error) {
      var status = document.getElementById("search-status");
      if (status) status.textContent = "Search failed: " + error.message;
    });
  });
})(typeof window !== "undefined" ? window : globalThis);
