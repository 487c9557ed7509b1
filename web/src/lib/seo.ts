// What the article editor shows while someone edits: word count, the meta
// title/description counters and where the focus keyword appears. Plain
// functions (no DOM), so they are tested on their own.

export const META_TITLE = { min: 30, max: 60 };
export const META_DESCRIPTION = { min: 120, max: 160 };

/** The text of an HTML fragment (tags removed, entities for spaces decoded). */
export function textOf(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&nbsp;|&#160;/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'");
}

/** Words in the text of an HTML fragment. */
export function wordCount(html: string): number {
  const t = textOf(html).trim();
  return t ? t.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length : 0;
}

export type Verdict = "empty" | "short" | "ok" | "long";

export interface Counter {
  length: number;
  verdict: Verdict;
  /** For people: "52 / 60 characters". */
  label: string;
}

export function counter(value: string, range: { min: number; max: number }): Counter {
  const length = [...value.trim()].length;
  const verdict: Verdict = length === 0 ? "empty" : length < range.min ? "short" : length > range.max ? "long" : "ok";
  return { length, verdict, label: `${length} / ${range.max} characters` };
}

const norm = (s: string) => textOf(s).toLowerCase().replace(/\s+/g, " ").trim();

/** How often `keyword` occurs in `text` (whole words, case-insensitive). */
export function occurrences(text: string, keyword: string): number {
  const k = norm(keyword);
  if (!k) return 0;
  const esc = k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return (norm(text).match(new RegExp(`(^|[^\\p{L}\\p{N}])${esc}(?=$|[^\\p{L}\\p{N}])`, "gu")) ?? []).length;
}

export interface Hint {
  id: "title" | "meta_title" | "meta_description" | "intro" | "heading" | "slug" | "density";
  ok: boolean;
  text: string;
}

export interface Draft {
  title: string;
  meta_title: string;
  meta_description: string;
  slug: string;
  body_html: string;
}

/** Where the focus keyword is and is not placed. */
export function keywordHints(d: Draft, keyword: string | null | undefined): Hint[] {
  const k = (keyword ?? "").trim();
  if (!k) return [];
  const firstPara = /<p[^>]*>([\s\S]*?)<\/p>/i.exec(d.body_html)?.[1] ?? "";
  const headings = [...d.body_html.matchAll(/<h[23][^>]*>([\s\S]*?)<\/h[23]>/gi)].map((m) => m[1]);
  const words = wordCount(d.body_html);
  const uses = occurrences(d.body_html, k);
  const kw = k.split(/\s+/).length;
  const density = words ? (uses * kw * 100) / words : 0;
  const slugKey = norm(k).replace(/[^\p{L}\p{N}]+/gu, "-");
  return [
    { id: "title", ok: occurrences(d.title, k) > 0, text: "in the title" },
    { id: "meta_title", ok: occurrences(d.meta_title, k) > 0, text: "in the meta title" },
    { id: "meta_description", ok: occurrences(d.meta_description, k) > 0, text: "in the meta description" },
    { id: "intro", ok: occurrences(firstPara, k) > 0, text: "in the first paragraph" },
    { id: "heading", ok: headings.some((h) => occurrences(h, k) > 0), text: "in a subheading (H2/H3)" },
    { id: "slug", ok: d.slug.toLowerCase().includes(slugKey), text: "in the slug" },
    {
      id: "density",
      ok: density >= 0.5 && density <= 2.5,
      text: `used ${uses} time${uses === 1 ? "" : "s"} (${density.toFixed(1)}% of the words; aim for 0.5–2.5%)`,
    },
  ];
}
