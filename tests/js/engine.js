// Runs the site's search engine (themes/default/static/search.js) under
// Node on a built site's index, for the Rust tests: reads JSON lines on
// stdin, `{"query": "..."}` or `{"words": "..."}`, and answers each with
// a JSON line: the result URLs in order and the corrected words, or the
// words the engine splits the text into. With `"first": true`, a query
// starts from nothing loaded, and the answer says how many files and
// bytes it loaded, and how many of them were further tiers of postings;
// `rough` says the results were ranked on part of the postings (see
// Engine.extend); with `"all": true`, the query reads every tier of its
// words before answering; `ms` is the query's time, loads included.
"use strict";
const fs = require("fs");
const path = require("path");

const [script, index] = process.argv.slice(2);
const search = require(path.resolve(script));
let captured = null;
globalThis.castorIndex = (name, data) => { captured = data; };
let cache = new Map();
let loaded = [];
function load(name) {
  if (!cache.has(name)) {
    cache.set(name, new Promise((resolve, reject) => {
      const file = path.join(index, name + ".js");
      fs.readFile(file, "utf8", (err, text) => {
        if (err) return reject(err);
        loaded.push({ name: name, bytes: Buffer.byteLength(text) });
        captured = null;
        new Function(text)();
        resolve(captured);
      });
    }));
  }
  return cache.get(name);
}

let engine = new search.Engine(load);
const lines = fs.readFileSync(0, "utf8").split("\n").filter(Boolean);
engine.start().then(async () => {
  for (const line of lines) {
    const ask = JSON.parse(line);
    if (ask.words !== undefined) {
      console.log(JSON.stringify(search.words(ask.words)));
      continue;
    }
    if (ask.first) {
      // A reader's first query: nothing loaded yet.
      cache = new Map();
      loaded = [];
      engine = new search.Engine(load);
      await engine.start();
    }
    const started = process.hrtime.bigint();
    const limit = ask.limit || 10;
    const found = await engine.search(ask.query, limit);
    if (ask.all) await engine.extend(found, Infinity);
    const records = await Promise.all(found.hits.slice(0, limit).map((h) => engine.record(h.doc)));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(JSON.stringify({
      urls: records.map((r) => r.url),
      total: found.hits.length,
      corrected: found.terms.filter((t) => t.corrected).map((t) => t.shown),
      files: loaded.length,
      bytes: loaded.reduce((sum, file) => sum + file.bytes, 0),
      tiers: loaded.filter((file) => file.name.startsWith("p/")).length,
      rough: found.rough,
      ms: ms,
    }));
  }
});
