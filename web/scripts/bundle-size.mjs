// Prints the gzipped size of the JavaScript the first page load needs (the
// entry script and the chunks index.html preloads) and of every other chunk,
// and fails when the initial JavaScript exceeds the budget (issue 16: 200 KB).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 200 * 1024;
const dist = new URL("../dist/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf8");
const initial = new Set(
  [...html.matchAll(/<(?:script[^>]+src|link[^>]+href)="\/?([^"]+\.js)"/g)].map((m) => m[1]),
);
const gz = (f) => gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const all = readdirSync(join(dist, "assets")).filter((f) => f.endsWith(".js")).map((f) => `assets/${f}`);
let first = 0;
let lazy = 0;
for (const f of all) {
  const size = gz(f);
  if (initial.has(f)) first += size;
  else lazy += size;
}
const css = readdirSync(join(dist, "assets")).filter((f) => f.endsWith(".css")).reduce((n, f) => n + gz(`assets/${f}`), 0);
console.log(
  `bundle: initial JS ${kb(first)} gzipped (${initial.size} file${initial.size === 1 ? "" : "s"}; budget ${kb(BUDGET)}), ` +
    `lazy route chunks ${kb(lazy)} gzipped in ${all.length - initial.size} files, CSS ${kb(css)} gzipped`,
);
if (initial.size === 0) {
  console.error("bundle: no entry script found in dist/index.html");
  process.exit(1);
}
if (first > BUDGET) {
  console.error(`bundle: initial JS ${kb(first)} is over the ${kb(BUDGET)} budget`);
  process.exit(1);
}
