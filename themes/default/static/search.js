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
  // Tiers of postings a first page may read (see Engine.extend).
  var FIRST_TIERS = 2;

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
    return key === null ? Promise.resolve({ s: {}, t: {}, w: {} }) : this.load("t/" + key);
  };

  // A word's stem and postings, or null when the site does not hold the
  // word. The stem is looked up, never computed here; a stem's postings
  // are made once and kept, with the tiers read so far.
  Engine.prototype.postings = function (word) {
    var self = this;
    this.lists = this.lists || {};
    function from(shard, stem) {
      if (!shard.s[stem]) return null;
      if (!self.lists[stem]) self.lists[stem] = new Postings(self, stem, shard.s[stem], shard.t[stem]);
      return self.lists[stem];
    }
    return this.shard(word).then(function (shard) {
      var stem = shard.w[word] || word;
      var found = from(shard, stem);
      if (found || !shard.w[word]) return found;
      return self.shard(stem).then(function (other) { return from(other, stem); });
    });
  };

  // A stem's postings as far as they are read: `docs` ({doc: score}) from
  // its shard, then its further tiers, best documents first, each read
  // only when it could change the results (src/search/browser.rs, `tiers`).
  function Postings(engine, stem, first, bounds) {
    this.engine = engine;
    this.stem = stem;
    this.docs = new Map();
    decode(first, engine.meta.score_scale, this.docs);
    this.bounds = bounds || [];
    this.read = 0;
    this.reading = null;
  }

  // The most a document not read yet can score; 0 once every tier is read.
  Postings.prototype.bound = function () {
    if (this.read >= this.bounds.length) return 0;
    return Math.exp(this.bounds[this.read] / this.engine.meta.score_scale) - 1;
  };

  Postings.prototype.more = function () {
    var self = this;
    if (!this.reading) {
      var next = this.read + 1;
      this.reading = this.engine.load("p/" + this.stem + "-" + next).then(function (text) {
        decode(text, self.engine.meta.score_scale, self.docs);
        self.read = next;
        self.reading = null;
      });
    }
    return this.reading;
  };

  Postings.prototype.all = function () {
    var self = this;
    return this.bound() ? this.more().then(function () { return self.all(); }) : Promise.resolve(this);
  };

  // Postings (src/search/browser.rs, `encode`): base64 of, for each
  // document, its distance from the previous one as a varint, then its
  // score as one byte on a log scale. Added to the map `out`.
  function decode(text, scale, out) {
    var bytes = atob(text);
    var doc = 0;
    for (var i = 0; i < bytes.length;) {
      var delta = 0, shift = 0, b;
      do {
        b = bytes.charCodeAt(i++);
        delta += (b & 0x7f) * Math.pow(2, shift);
        shift += 7;
      } while (b & 0x80);
      doc += delta;
      out.set(doc, Math.exp(bytes.charCodeAt(i++) / scale) - 1);
    }
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

  // Each query word with the postings that stand for it: its own; its
  // close spellings', for a word the site does not hold; and, at half
  // weight, "datacenter"'s for "data center".
  Engine.prototype.terms = function (parts) {
    var self = this;
    var stop = this.meta.stop_words;
    var common = parts.words.filter(function (w) { return stop.indexOf(w) >= 0; });
    var plain = parts.words.filter(function (w) { return stop.indexOf(w) < 0; });
    return Promise.all(plain.map(function (word) {
      return self.postings(word).then(function (found) {
        if (found) return { word: word, sources: [{ list: found, weight: 1 }], shown: [word], stems: [found.stem] };
        return self.spellings(word).then(function (alternatives) {
          return Promise.all(alternatives.map(function (a) { return self.postings(a); })).then(function (lists) {
            lists = lists.filter(Boolean);
            return {
              word: word,
              sources: lists.map(function (l) { return { list: l, weight: 1 }; }),
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
          if (found) [terms[i], terms[i + 1]].forEach(function (t) { t.sources.push({ list: found, weight: 0.5 }); });
        });
        return Promise.all(parts.excluded.map(function (w) {
          return self.postings(w).then(function (list) { return list && list.all(); });
        }));
      }).then(function (excluded) {
        return { terms: terms, common: common, excluded: excluded.filter(Boolean), phrases: parts.phrases };
      });
    });
  };

  // A term's best score per document, from what is read of its postings,
  // and the most a document not read yet can score for it.
  function gather(term) {
    var only = term.sources.length === 1 && term.sources[0].weight === 1;
    var docs = only ? term.sources[0].list.docs : new Map();
    var bound = 0;
    term.sources.forEach(function (source) {
      if (!only) {
        source.list.docs.forEach(function (score, doc) {
          score *= source.weight;
          if (!(docs.get(doc) >= score)) docs.set(doc, score);
        });
      }
      bound = Math.max(bound, source.list.bound() * source.weight);
    });
    term.postings = docs;
    term.bound = bound;
  }

  // The results as far as the postings read make them certain. Documents
  // with every word come first, best score first; when they are fewer than
  // a page, those with most of the words follow. Ties go to the lower
  // number: the newer incident, as `castor search` orders them. A document
  // is certain when no document, read or not, could still rank above it;
  // `done` when no more can come.
  Engine.prototype.rank = function (found) {
    var terms = found.terms;
    terms.forEach(gather);
    // Terms by bit: those not read to the end, and the phrase words read
    // to the end, which a document must hold.
    var open = 0, closedRequired = 0;
    terms.forEach(function (t, i) { if (t.bound > 0) open |= 1 << i; });
    found.required.forEach(function (i) { if (!(open & (1 << i))) closedRequired |= 1 << i; });
    // Per document: its words found, their score, and which terms (a bit
    // each); arrays rather than an object a document, as this runs over
    // every document a common word holds.
    var n = this.meta.docs;
    var words = new Uint8Array(n), score = new Float64Array(n), has = new Uint32Array(n);
    var touched = [];
    terms.forEach(function (t, i) {
      t.postings.forEach(function (s, doc) {
        if (!has[doc]) touched.push(doc);
        has[doc] |= 1 << i;
        words[doc] += 1;
        score[doc] += s;
      });
    });
    found.excluded.forEach(function (list) {
      list.docs.forEach(function (s, doc) { has[doc] = 0; });
    });
    // The best a document could still reach: what it has, plus the open
    // terms it has not been read in; a document not read at all, every
    // open term.
    function reach(bits, w, sc) {
      terms.forEach(function (t, i) {
        if ((open & ~bits) & (1 << i)) { w += 1; sc += t.bound; }
      });
      return { words: w, score: sc };
    }
    var ceiling = open ? reach(0, 0, 0) : null;
    var certain = [];
    var known = [];
    touched.forEach(function (doc) {
      var bits = has[doc];
      if (!bits || (closedRequired & bits) !== closedRequired) return;
      known.push(doc);
      if (open & ~bits) {
        var best = reach(bits, words[doc], score[doc]);
        if (above(best, ceiling)) ceiling = best;
      } else {
        certain.push(doc);
      }
    });
    function hit(doc) { return { doc: doc, words: words[doc], score: score[doc] }; }
    var hits = certain.map(hit);
    if (ceiling) hits = hits.filter(function (h) { return above(h, ceiling); });
    hits.sort(order);
    found.known = function (limit) {
      known.sort(function (a, b) { return words[b] - words[a] || score[b] - score[a] || a - b; });
      return known.slice(0, limit).map(hit);
    };
    var all = hits.filter(function (h) { return h.words === terms.length; }).length;
    var allKnown = !ceiling || all < hits.length;
    found.hits = allKnown && all >= PAGE ? hits.slice(0, all) : hits;
    found.done = !ceiling || (allKnown && all >= PAGE);
    return found;
  };

  function order(a, b) {
    return b.words - a.words || b.score - a.score || a.doc - b.doc;
  }

  function above(a, b) {
    return a.words > b.words || (a.words === b.words && a.score > b.score);
  }

  // Reads further tiers until `need` results are certain, or no more can
  // come: the open postings that could score highest first. Once the
  // query's postings have `budget` further tiers read, the results are
  // ranked on what is read, every document as far as it is known
  // (`found.rough`): two common words that seldom meet would otherwise read
  // most of both lists before a first page. The same query again reads
  // nothing more.
  Engine.prototype.extend = function (found, need, budget) {
    var self = this;
    this.rank(found);
    found.rough = false;
    if (found.done || found.hits.length >= need) return Promise.resolve(found);
    if (budget !== undefined && tiersRead(found) >= budget) {
      found.hits = found.known(need);
      found.rough = true;
      return Promise.resolve(found);
    }
    var next = null;
    found.terms.forEach(function (t) {
      t.sources.forEach(function (source) {
        var bound = source.list.bound() * source.weight;
        if (bound > 0 && (!next || bound > next.bound)) next = { list: source.list, bound: bound };
      });
    });
    return next.list.more().then(function () { return self.extend(found, need, budget); });
  };

  function tiersRead(found) {
    var lists = [];
    found.terms.forEach(function (t) {
      t.sources.forEach(function (s) { if (lists.indexOf(s.list) < 0) lists.push(s.list); });
    });
    return lists.reduce(function (sum, list) { return sum + list.read; }, 0);
  }

  // The query's results, at least `need` of them when there are as many,
  // reading at most FIRST_TIERS tiers of postings.
  Engine.prototype.search = function (query, need) {
    var self = this;
    var parts = parse(query);
    return this.terms(parts).then(function (found) {
      var phraseWords = {};
      parts.phrases.forEach(function (p) { p.forEach(function (w) { phraseWords[w] = true; }); });
      found.required = [];
      found.terms.forEach(function (t, i) { if (phraseWords[t.word]) found.required.push(i); });
      return self.extend(found, need || PAGE, FIRST_TIERS);
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
    var panel = document.getElementById("search-filters");
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
      state = null;
      if (!query) { status.textContent = ""; return; }
      status.textContent = "Searching…";
      engine.search(query, PAGE).then(function (found) {
        if (mine !== generation) return;
        state = { found: found, row: null, shown: 0, hits: found.hits, seen: {} };
        if (panel.open || filtering()) return count(mine);
        showMore();
      }).catch(function (error) {
        if (mine === generation) status.textContent = "Search failed: " + error.message;
      });
    }

    function filtering() {
      return filters.some(function (f) { return f.select.value !== ""; });
    }

    // Filters and their counts need every result: read the query's
    // postings to the end and the facets of the documents found, then
    // show the results again from the first.
    function count(mine) {
      status.textContent = "Counting…";
      return engine.extend(state.found, Infinity).then(function (found) {
        return engine.facets(found.hits.map(function (h) { return h.doc; }));
      }).then(function (row) {
        if (mine !== generation) return;
        state.row = row;
        counts(state.found.hits, row);
        state.hits = filter(state.found.hits, row);
        state.shown = 0;
        state.seen = {};
        list.textContent = "";
        showMore();
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

    function summarise() {
      var found = state.found;
      var query = input.value.trim();
      var total = state.hits.length;
      var corrected = found.terms.filter(function (t) { return t.corrected; });
      var note = corrected.length
        ? "Showing results for " + found.terms.map(function (t) { return t.shown.join(" or "); }).join(" ") + ". "
        : "";
      if (found.common.length && !found.terms.length) note += "Words too common to be indexed: " + found.common.join(", ") + ". ";
      if (!found.done) note += "Best results for “" + query + "”, more below.";
      else if (total === 0) note += "No results for “" + query + "”.";
      else note += total + (total === 1 ? " result" : " results") + " for “" + query + "”.";
      status.textContent = note;
    }

    // Shows the next page of results, reading what it needs first; a
    // phrase is checked in each text.
    function showMore() {
      var mine = generation;
      more.hidden = true;
      var from = state.shown;
      var ready = state.row ? Promise.resolve() : engine.extend(state.found, from + PAGE).then(function (found) {
        state.hits = found.hits;
      });
      ready.then(function () {
        // A first page ranked roughly (Engine.extend) may hold documents
        // the exact ranking puts further down: each is shown once.
        var slice = state.hits.filter(function (h) { return !state.seen[h.doc]; }).slice(0, PAGE);
        slice.forEach(function (h) { state.seen[h.doc] = true; });
        state.shown = from + slice.length;
        var stems = stemsOf(state.found);
        return Promise.all(slice.map(function (h) { return engine.record(h.doc); })).then(function (records) {
          if (mine !== generation) return;
          records.forEach(function (record) { show(record, stems); });
          summarise();
          var rest = state.hits.some(function (h) { return !state.seen[h.doc]; });
          more.hidden = !rest && (state.row || state.found.done);
        });
      });
    }

    function show(record, stems) {
      var all = " " + words(record.title + " " + record.sections.map(function (s) { return s[1]; }).join(" ")).join(" ") + " ";
      var phrasesHold = state.found.phrases.every(function (p) { return all.indexOf(" " + p.join(" ") + " ") >= 0; });
      if (!phrasesHold) return;
      var item = text("li");
      var heading = text("h2");
      var link = text("a", record.title);
      link.href = siteRoot + pageUrl(record.url);
      heading.appendChild(link);
      item.appendChild(heading);
      item.appendChild(text("p", facts(record), "meta"));
      var passage = excerpt(record, stems);
      var snippet = text("p", "", "snippet");
      if (passage && passage.count) {
        showExcerpt(snippet, passage, stems);
        if (passage.anchor) {
          var section = text("a", "In this section", "section-link");
          section.href = siteRoot + pageUrl(record.url) + "#" + passage.anchor;
          snippet.appendChild(document.createTextNode(" "));
          snippet.appendChild(section);
        }
      } else {
        snippet.textContent = record.summary;
      }
      item.appendChild(snippet);
      list.appendChild(item);
    }

    filters.forEach(function (f) {
      f.select.addEventListener("change", function () {
        if (!state) return;
        if (!state.row) { count(generation); return; }
        state.hits = filter(state.found.hits, state.row);
        state.shown = 0;
        state.seen = {};
        list.textContent = "";
        showMore();
      });
    });
    panel.addEventListener("toggle", function () {
      if (panel.open && state && !state.row) count(generation);
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
      engine.search(query, SUGGESTIONS).then(function (found) {
        return Promise.all(found.hits.slice(0, SUGGESTIONS).map(function (h) { return engine.record(h.doc); }));
      }).then(function (records) {
        if (mine !== generation) return;
        box.textContent = "";
        records.forEach(function (record) {
          var item = text("li");
          var link = text("a", record.title);
          link.href = siteRoot + pageUrl(record.url);
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
    module.exports = { words: words, parse: parse, distance: distance, Engine: Engine, pageLoader: pageLoader };
    return;
  }

  // A site built with `[build] links = "files"` names each page's
  // index.html, so that it works opened from disk.
  function pageUrl(url) {
    var form = document.querySelector(".search-box");
    var files = form && form.hasAttribute("data-file-links");
    return files && /\/$/.test(url) ? url + "index.html" : url;
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
      else setUpBox(engine, siteRoot, input, siteRoot + pageUrl("search/"));
    }).catch(function (error) {
      var status = document.getElementById("search-status");
      if (status) status.textContent = "Search failed: " + error.message;
    });
  });
})(typeof window !== "undefined" ? window : globalThis);
