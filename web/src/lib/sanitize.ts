// The live preview of the article editor shows HTML the user is typing, before
// the API sanitises it on save. It is rendered only after this allowlist pass
// (DOMParser: nothing runs or loads while parsing): unknown elements keep
// their text, script-like elements go entirely, attributes are an allowlist
// and URLs must be http(s), mailto, relative or a data: image.
const KEEP = new Set(
  "p h1 h2 h3 h4 h5 h6 ul ol li a strong em b i u s blockquote figure figcaption img table thead tbody tfoot tr th td br hr code pre span div sup sub small mark".split(" "),
);
const DROP = new Set("script style iframe object embed frame frameset noscript template svg math form input button textarea select link meta base".split(" "));
const ATTRS: Record<string, string[]> = { a: ["href", "title"], img: ["src", "alt", "title", "width", "height"], th: ["colspan", "rowspan", "scope"], td: ["colspan", "rowspan"], ol: ["start"] };

function safeUrl(v: string, img: boolean): boolean {
  const s = v.trim().toLowerCase();
  if (/^(https?:|mailto:|\/|#|\.)/.test(s)) return true;
  if (img && /^data:image\/(png|jpe?g|gif|webp);/.test(s)) return true;
  return !/^[a-z][a-z0-9+.-]*:/.test(s);
}

function clean(node: Node, doc: Document): Node[] {
  if (node.nodeType === Node.TEXT_NODE) return [doc.createTextNode(node.textContent ?? "")];
  if (node.nodeType !== Node.ELEMENT_NODE) return [];
  const el = node as Element;
  const tag = el.tagName.toLowerCase();
  if (DROP.has(tag)) return [];
  const kids = [...el.childNodes].flatMap((c) => clean(c, doc));
  if (!KEEP.has(tag)) return kids;
  const out = doc.createElement(tag);
  for (const name of ATTRS[tag] ?? []) {
    const v = el.getAttribute(name);
    if (v == null) continue;
    if ((name === "href" || name === "src") && !safeUrl(v, tag === "img")) continue;
    out.setAttribute(name, v);
  }
  if (tag === "a") out.setAttribute("rel", "noopener noreferrer nofollow");
  out.append(...kids);
  return [out];
}

/** HTML safe to put into the page: only the allowlisted elements and attributes. */
export function sanitizeHtml(html: string): string {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  const out = document.implementation.createHTMLDocument("");
  const box = out.createElement("div");
  box.append(...[...doc.body.childNodes].flatMap((c) => clean(c, out)));
  return box.innerHTML;
}
