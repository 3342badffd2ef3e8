// The table of incidents, sortable and filterable across every incident,
// not only the page's. The page works without this script: a plain table,
// newest first, in pages. With it, the column headers become buttons, and
// the first sort or filter loads the table's data (src/render/table.rs
// writes it): compact rows in scripts of at most 100 KB, each calling
// castorTable(name, data), loaded with <script> elements so that it works
// from file:// too. Every value reaches the page as a text node.
"use strict";

(function (root) {
  var table = document.getElementById("incident-table");
  if (!table) return;

  // A row's fields (see `Row` in src/render/table.rs).
  var URL = 0, TITLE = 1, DATE = 2, MINUTES = 3, DURATION = 4, TERMS = 5;
  var collator = new Intl.Collator(document.documentElement.lang || undefined, { sensitivity: "base", numeric: true });
  var base = table.getAttribute("data-rows");
  var siteRoot = table.getAttribute("data-root");
  var fileLinks = table.hasAttribute("data-file-links");
  var pageSize = Number(table.getAttribute("data-page-size")) || 50;
  var filters = document.getElementById("table-filters");
  var selects = Array.prototype.slice.call(filters.querySelectorAll("select"));
  var status = document.getElementById("table-status");
  var pager = document.getElementById("table-pager");
  var headers = Array.prototype.slice.call(table.querySelectorAll("th[data-sort]"));

  var state = { key: "date", descending: true, page: 0 };

  // --- The data files, each loaded once.
  var pending = {};
  var loaded = {};
  root.castorTable = function (name, data) {
    var waiting = pending[name];
    if (waiting) { delete pending[name]; waiting(data); }
  };
  function load(name) {
    if (!loaded[name]) {
      loaded[name] = new Promise(function (resolve, reject) {
        pending[name] = resolve;
        var script = document.createElement("script");
        script.src = base + name + ".js";
        script.onerror = function () {
          delete pending[name]; delete loaded[name];
          reject(new Error("cannot load " + script.src));
        };
        document.head.appendChild(script);
      });
    }
    return loaded[name];
  }

  var meta = null;
  var rows = null;
  // Each taxonomy's position in a row's terms, by key.
  var column = {};

  function loadMeta() {
    return load("meta").then(function (m) {
      if (!meta) {
        meta = m;
        m.taxonomies.forEach(function (t, n) { column[t[0]] = n; });
        fillFilters();
      }
      return meta;
    });
  }

  function loadRows() {
    if (rows) return Promise.resolve(rows);
    say("Loading every incident…");
    return loadMeta().then(function (m) {
      var names = [];
      for (var n = 0; n < m.chunks; n++) names.push(load(String(n)));
      return Promise.all(names);
    }).then(function (chunks) {
      if (!rows) {
        rows = [].concat.apply([], chunks);
        // Newest first, as written: the date order, and every tie's.
        rows.forEach(function (row, i) { row.order = i; });
      }
      return rows;
    });
  }

  function names(key) {
    return meta.taxonomies[column[key]][1];
  }

  // A row's term numbers of a taxonomy: one number where there is one.
  function terms(row, key) {
    var t = row[TERMS][column[key]];
    return typeof t === "number" ? [t] : t;
  }

  function fillFilters() {
    selects.forEach(function (select) {
      names(select.getAttribute("data-taxonomy")).forEach(function (name, n) {
        var option = document.createElement("option");
        option.value = String(n);
        option.textContent = name;
        select.appendChild(option);
      });
    });
  }

  // --- Sorting: each column's comparison, ascending; rows lacking the
  // value go last either way, and ties keep the newest first.
  var rankCache = {};
  // Term numbers ranked by their names, so a column sorts alphabetically.
  function rank(key) {
    if (!rankCache[key]) {
      var list = names(key);
      var order = list.map(function (_, n) { return n; });
      order.sort(function (a, b) { return collator.compare(list[a], list[b]); });
      var ranks = [];
      order.forEach(function (n, r) { ranks[n] = r; });
      rankCache[key] = ranks;
    }
    return rankCache[key];
  }

  function sortValue(key) {
    switch (key) {
      case "date": return function (row) { return -row.order; };
      case "title": return function (row) { return row[TITLE]; };
      case "duration": return function (row) { return row[MINUTES]; };
      // Impact kinds are numbered worst first, as the site ranks them.
      case "impact_kind": return function (row) { var t = terms(row, key); return t.length ? t[0] : null; };
      default:
        var ranks = rank(key);
        return function (row) { return ranks[terms(row, key)[0]]; };
    }
  }

  function sorted(list) {
    var value = sortValue(state.key);
    var sign = state.descending ? -1 : 1;
    var keyed = list.map(function (row) { return [value(row), row]; });
    keyed.sort(function (a, b) {
      var x = a[0], y = b[0];
      var missing = (x === null || x === undefined) - (y === null || y === undefined);
      if (missing) return missing;
      var c = typeof x === "string" ? collator.compare(x, y) : x - y;
      return sign * c || a[1].order - b[1].order;
    });
    return keyed.map(function (pair) { return pair[1]; });
  }

  function matching() {
    var chosen = selects.filter(function (s) { return s.value !== ""; }).map(function (s) {
      return [s.getAttribute("data-taxonomy"), Number(s.value)];
    });
    return rows.filter(function (row) {
      return chosen.every(function (c) { return terms(row, c[0]).indexOf(c[1]) >= 0; });
    });
  }

  // --- Showing a page of the results.
  function cell(tr, content) {
    var td = document.createElement("td");
    if (content) td.appendChild(content);
    tr.appendChild(td);
  }

  function textNode(text) {
    return document.createTextNode(text || "");
  }

  function link(url, title) {
    var a = document.createElement("a");
    a.href = siteRoot + url + (fileLinks && /\/$/.test(url) ? "index.html" : "");
    a.textContent = title;
    return a;
  }

  function rowOf(row) {
    var tr = document.createElement("tr");
    var time = document.createElement("time");
    time.setAttribute("datetime", row[DATE]);
    time.textContent = row[DATE];
    cell(tr, time);
    cell(tr, textNode(names("company")[terms(row, "company")[0]]));
    cell(tr, link(row[URL], row[TITLE]));
    cell(tr, textNode(names("category")[terms(row, "category")[0]]));
    cell(tr, textNode(row[DURATION]));
    var kinds = names("impact_kind");
    cell(tr, textNode(terms(row, "impact_kind").map(function (k) { return kinds[k]; }).join(", ")));
    return tr;
  }

  function say(text) {
    status.textContent = text;
  }

  function show() {
    var results = sorted(matching());
    var count = Math.max(1, Math.ceil(results.length / pageSize));
    state.page = Math.min(state.page, count - 1);
    var first = state.page * pageSize;
    var body = document.createElement("tbody");
    results.slice(first, first + pageSize).forEach(function (row) { body.appendChild(rowOf(row)); });
    table.replaceChild(body, table.tBodies[0]);
    var header = headers.filter(function (th) { return th.getAttribute("data-sort") === state.key; })[0];
    var order = header.textContent + (state.descending ? ", descending" : ", ascending");
    table.caption.textContent = results.length + " of " + rows.length + " incidents, by " + order.toLowerCase() +
      (count > 1 ? ": page " + (state.page + 1) + " of " + count : "");
    say(results.length ? results.length + (results.length === 1 ? " incident matches" : " incidents match") + ", sorted by " + order.toLowerCase() + "." : "No incident matches these filters.");
    document.getElementById("table-page").textContent = "Page " + (state.page + 1) + " of " + count;
    document.getElementById("table-prev").disabled = state.page === 0;
    document.getElementById("table-next").disabled = state.page >= count - 1;
    pager.hidden = count < 2;
    // The built pages list the whole table newest first, not these rows.
    document.getElementById("table-static-pager").hidden = true;
  }

  function refresh() {
    loadRows().then(show, function (error) { say("The table's data could not be loaded: " + error.message); });
  }

  // --- The controls.
  headers.forEach(function (th) {
    var button = document.createElement("button");
    button.type = "button";
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener("click", function () {
      var key = th.getAttribute("data-sort");
      // A new column starts newest, longest or A first.
      state.descending = key === state.key ? !state.descending : key === "date" || key === "duration";
      state.key = key;
      state.page = 0;
      headers.forEach(function (other) {
        if (other === th) other.setAttribute("aria-sort", state.descending ? "descending" : "ascending");
        else other.removeAttribute("aria-sort");
      });
      refresh();
    });
  });

  filters.hidden = false;
  filters.addEventListener("toggle", function () {
    if (filters.open) loadMeta().catch(function (error) { say("The filters could not be loaded: " + error.message); });
  });
  selects.forEach(function (select) {
    select.addEventListener("change", function () { state.page = 0; refresh(); });
  });
  document.getElementById("table-prev").addEventListener("click", function () { state.page -= 1; show(); });
  document.getElementById("table-next").addEventListener("click", function () { state.page += 1; show(); });
})(window);
