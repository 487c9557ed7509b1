// The article view and editor (/writer/content/:id): a sanitised-HTML editor
// with a live preview, meta title/description counters, word count and focus
// keyword placement hints; regenerate one section (an AI job); the versions
// with a side-by-side diff and restore; image prompts and images (set
// featured). Viewers read everything and get no write action. An id that is
// not this account's shows "not found" (the API answers 404 for it).
import { useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { api, type Schemas } from "../../api";
import { AiAction } from "../../components/AiAction";
import { ErrorBanner } from "../../components/Errors";
import { NotFoundPage } from "../../components/NotFound";
import { sanitizeHtml } from "../../lib/sanitize";
import { counter, keywordHints, META_DESCRIPTION, META_TITLE, wordCount, type Counter } from "../../lib/seo";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { useContentStore, type Content } from "../../stores/contentStore";
import { useSiteStore } from "../../stores/siteStore";
import { DiffView } from "./DiffView";

interface Draft {
  title: string;
  slug: string;
  meta_title: string;
  meta_description: string;
  body_html: string;
  focus_keyword: string;
  status: Schemas["ContentStatus"];
  note: string;
}

const draftOf = (c: Content): Draft => ({
  title: c.title,
  slug: c.slug,
  meta_title: c.meta_title ?? "",
  meta_description: c.meta_description ?? "",
  body_html: c.body_html,
  focus_keyword: c.focus_keyword ?? "",
  status: c.status,
  note: "",
});

const TONE: Record<Counter["verdict"], string> = { empty: "text-red-700", short: "text-amber-800", ok: "text-green-800", long: "text-red-700" };
const SAY: Record<Counter["verdict"], string> = { empty: "empty", short: "short", ok: "good length", long: "too long" };

function CountedField(props: { id: string; label: string; value: string; onChange: (v: string) => void; range: { min: number; max: number }; readOnly: boolean; multiline?: boolean }) {
  const c = counter(props.value, props.range);
  const Tag = props.multiline ? "textarea" : "input";
  return (
    <div className="space-y-1">
      <label htmlFor={props.id} className="block text-sm font-medium text-slate-700">
        {props.label}
      </label>
      <Tag
        id={props.id}
        value={props.value}
        readOnly={props.readOnly}
        aria-describedby={`${props.id}-count`}
        onChange={(e) => props.onChange(e.target.value)}
        rows={props.multiline ? 3 : undefined}
        className="block w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm"
      />
      <p id={`${props.id}-count`} data-testid={`${props.id}-count`} className={`text-xs ${TONE[c.verdict]}`}>
        {c.label} · {SAY[c.verdict]} (aim for {props.range.min}–{props.range.max})
      </p>
    </div>
  );
}

function Editor({ content, canEdit }: { content: Content; canEdit: boolean }) {
  const { save, saving } = useContentStore();
  const [draft, setDraft] = useState<Draft>(() => draftOf(content));
  const [saved, setSaved] = useState<string | null>(null);
  // A save, a restore or a regeneration gives a new version: start from it.
  useEffect(() => setDraft(draftOf(content)), [content]);
  const set = (patch: Partial<Draft>) => {
    setSaved(null);
    setDraft((d) => ({ ...d, ...patch }));
  };
  const preview = useMemo(() => sanitizeHtml(draft.body_html), [draft.body_html]);
  const words = useMemo(() => wordCount(draft.body_html), [draft.body_html]);
  const hints = useMemo(() => keywordHints(draft, draft.focus_keyword), [draft]);
  const dirty = JSON.stringify({ ...draft, note: "" }) !== JSON.stringify(draftOf(content));
  const input = "block w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm";
  const onSave = async () => {
    const { note, focus_keyword, ...rest } = draft;
    const r = await save({ ...rest, focus_keyword: focus_keyword || null, note: note || null });
    if (r) setSaved(`Saved as version ${r.current_version}.`);
  };
  return (
    <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
      <form className="space-y-3" aria-label="Edit article" onSubmit={(e) => (e.preventDefault(), void onSave())}>
        <div className="space-y-1">
          <label htmlFor="a-title" className="block text-sm font-medium text-slate-700">
            Title
          </label>
          <input id="a-title" value={draft.title} readOnly={!canEdit} onChange={(e) => set({ title: e.target.value })} className={input} />
        </div>
        <div className="grid grid-cols-2 gap-3">
          <div className="space-y-1">
            <label htmlFor="a-keyword" className="block text-sm font-medium text-slate-700">
              Focus keyword
            </label>
            <input id="a-keyword" value={draft.focus_keyword} readOnly={!canEdit} onChange={(e) => set({ focus_keyword: e.target.value })} className={input} />
          </div>
          <div className="space-y-1">
            <label htmlFor="a-slug" className="block text-sm font-medium text-slate-700">
              Slug
            </label>
            <input id="a-slug" value={draft.slug} readOnly={!canEdit} onChange={(e) => set({ slug: e.target.value })} className={input} />
          </div>
        </div>
        <CountedField id="a-meta-title" label="Meta title" value={draft.meta_title} onChange={(v) => set({ meta_title: v })} range={META_TITLE} readOnly={!canEdit} />
        <CountedField id="a-meta-description" label="Meta description" value={draft.meta_description} onChange={(v) => set({ meta_description: v })} range={META_DESCRIPTION} readOnly={!canEdit} multiline />
        <div className="space-y-1">
          <label htmlFor="a-body" className="block text-sm font-medium text-slate-700">
            Body (HTML)
          </label>
          <textarea id="a-body" value={draft.body_html} readOnly={!canEdit} onChange={(e) => set({ body_html: e.target.value })} rows={18} spellCheck className={`${input} font-mono text-xs`} />
          <p className="text-xs text-slate-600" data-testid="word-count">
            {words} words
          </p>
        </div>
        {canEdit ? (
          <div className="flex flex-wrap items-end gap-3">
            <div className="space-y-1">
              <label htmlFor="a-status" className="block text-sm font-medium text-slate-700">
                Status
              </label>
              <select id="a-status" value={draft.status} onChange={(e) => set({ status: e.target.value as Draft["status"] })} className="rounded-md border border-slate-300 px-2 py-1.5 text-sm">
                <option>draft</option>
                <option>review</option>
                <option>approved</option>
                <option>published</option>
              </select>
            </div>
            <div className="min-w-48 flex-1 space-y-1">
              <label htmlFor="a-note" className="block text-sm font-medium text-slate-700">
                Note for this version
              </label>
              <input id="a-note" value={draft.note} onChange={(e) => set({ note: e.target.value })} className={input} />
            </div>
            <button type="submit" disabled={saving || !dirty} className="rounded-md bg-indigo-600 px-4 py-1.5 text-sm text-white disabled:opacity-50">
              {saving ? "Saving…" : "Save"}
            </button>
            <button type="button" disabled={!dirty} onClick={() => setDraft(draftOf(content))} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm disabled:opacity-50">
              Discard changes
            </button>
          </div>
        ) : null}
        {saved ? (
          <p role="status" className="text-sm text-green-800">
            {saved}
          </p>
        ) : null}
      </form>
      <div className="space-y-3">
        <section aria-label="Keyword placement" className="rounded-lg border border-slate-200 bg-white p-3">
          <h2 className="mb-1 text-sm font-semibold">Focus keyword {draft.focus_keyword ? `“${draft.focus_keyword}”` : ""}</h2>
          {hints.length === 0 ? (
            <p className="text-sm text-slate-600">Set a focus keyword to see where it is placed.</p>
          ) : (
            <ul className="space-y-0.5 text-sm">
              {hints.map((h) => (
                <li key={h.id} data-ok={h.ok} className={h.ok ? "text-green-800" : "text-amber-800"}>
                  <span aria-hidden="true">{h.ok ? "✓" : "✗"}</span> {h.ok ? "" : "Not "}
                  {h.text}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-label="Preview" className="rounded-lg border border-slate-200 bg-white p-4">
          <h2 className="mb-2 text-xs font-semibold uppercase text-slate-600">Preview</h2>
          <article className="prose-article space-y-3 text-sm leading-relaxed" dangerouslySetInnerHTML={{ __html: preview }} />
        </section>
      </div>
    </div>
  );
}

function h2s(html: string): string[] {
  return [...html.matchAll(/<h2[^>]*>([\s\S]*?)<\/h2>/gi)].map((m) => m[1].replace(/<[^>]*>/g, "").trim());
}

function Regenerate({ content, siteId, onDone }: { content: Content; siteId: string; onDone: () => void }) {
  const sections = h2s(content.body_html);
  const [section, setSection] = useState(1);
  const [instructions, setInstructions] = useState("");
  if (sections.length === 0) return null;
  const n = Math.min(section, sections.length);
  return (
    <section aria-label="Regenerate a section" className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3">
      <div className="space-y-1">
        <label htmlFor="regen-section" className="block text-sm font-medium text-slate-700">
          Section
        </label>
        <select id="regen-section" value={n} onChange={(e) => setSection(Number(e.target.value))} className="max-w-xs rounded-md border border-slate-300 px-2 py-1.5 text-sm">
          {sections.map((h, i) => (
            <option key={i} value={i + 1}>
              {i + 1}. {h}
            </option>
          ))}
        </select>
      </div>
      <div className="min-w-48 flex-1 space-y-1">
        <label htmlFor="regen-instructions" className="block text-sm font-medium text-slate-700">
          Instructions (optional)
        </label>
        <input id="regen-instructions" value={instructions} maxLength={2000} onChange={(e) => setInstructions(e.target.value)} className="block w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm" />
      </div>
      <AiAction
        label="Regenerate section"
        what={`Regenerate section ${n} (“${sections[n - 1]}”)`}
        submit={async (dry) =>
          (
            await api.post("/api/v1/writer/content/{id}/regenerate", {
              path: { id: content.id },
              body: { site_id: siteId, mode: "regenerate", section: n, instructions: instructions.trim() || null, dry_run: dry },
            })
          ).data
        }
        onFinished={onDone}
      />
    </section>
  );
}

function Versions({ canEdit }: { canEdit: boolean }) {
  const { current, versions, diff, loadVersions, compare, restore } = useContentStore();
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  useEffect(() => {
    void loadVersions();
  }, [loadVersions, current?.current_version]);
  if (!current) return null;
  const newest = versions[0]?.number ?? current.current_version;
  const a = from ?? versions[1]?.number ?? newest;
  const b = to ?? newest;
  const select = (id: string, label: string, value: number, onChange: (n: number) => void) => (
    <label htmlFor={id} className="flex items-center gap-2 text-sm">
      {label}
      <select id={id} value={value} onChange={(e) => onChange(Number(e.target.value))} className="rounded-md border border-slate-300 px-2 py-1 text-sm">
        {versions.map((v) => (
          <option key={v.number} value={v.number}>
            v{v.number} ({v.source})
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <div className="space-y-4">
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" role="region" aria-label="Versions list" tabIndex={0}>
        <table className="min-w-full text-sm">
          <thead className="bg-slate-50 text-left text-xs uppercase text-slate-600">
            <tr>
              <th className="px-3 py-2">Version</th>
              <th className="px-3 py-2">Source</th>
              <th className="px-3 py-2">Title</th>
              <th className="px-3 py-2 text-right">Words</th>
              <th className="px-3 py-2">Note</th>
              <th className="px-3 py-2">When</th>
              <th className="px-3 py-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.number} className="border-t border-slate-100">
                <td className="px-3 py-1.5 tabular-nums">
                  v{v.number}
                  {v.number === current.current_version ? <span className="ml-1 text-xs text-green-800">(current)</span> : null}
                  {v.status === "conflict" ? <span className="ml-1 text-xs text-amber-800">(kept after a conflict)</span> : null}
                </td>
                <td className="px-3 py-1.5">{v.source}</td>
                <td className="px-3 py-1.5">{v.title}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{v.word_count}</td>
                <td className="px-3 py-1.5 text-slate-700">{v.note ?? ""}</td>
                <td className="px-3 py-1.5 text-slate-600">{new Date(v.created_at).toLocaleString()}</td>
                <td className="px-3 py-1.5">
                  {canEdit && v.number !== current.current_version ? (
                    <button type="button" onClick={() => void restore(v.number)} className="rounded border border-slate-300 px-2 py-0.5 text-xs">
                      Restore v{v.number}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {versions.length > 1 ? (
        <form aria-label="Compare versions" onSubmit={(e) => (e.preventDefault(), void compare(a, b))} className="flex flex-wrap items-center gap-3">
          {select("diff-from", "From", a, setFrom)}
          {select("diff-to", "to", b, setTo)}
          <button type="submit" className="rounded-md bg-slate-800 px-3 py-1.5 text-sm text-white">
            Compare
          </button>
        </form>
      ) : (
        <p className="text-sm text-slate-600">One version so far: edit and save to compare.</p>
      )}
      {diff ? <DiffView diff={diff} /> : null}
    </div>
  );
}

function Images({ content, siteId, canEdit }: { content: Content; siteId: string; canEdit: boolean }) {
  const { prompts, images, loadMedia, setFeatured } = useContentStore();
  useEffect(() => {
    void loadMedia();
  }, [loadMedia, content.id]);
  const ids = prompts.slice(0, 10).map((p) => p.id);
  return (
    <div className="space-y-4">
      {canEdit ? (
        <div className="flex flex-wrap gap-4">
          <AiAction
            label="Generate image prompts"
            what="Write image prompts for this article"
            submit={async (dry) => (await api.post("/api/v1/writer/content/{id}/image-prompts", { path: { id: content.id }, body: { site_id: siteId, content_id: content.id, dry_run: dry } })).data}
            onFinished={() => void loadMedia()}
          />
          {prompts.length > 0 ? (
            <AiAction
              label="Generate images"
              what={`Draw ${ids.length} image${ids.length === 1 ? "" : "s"}`}
              submit={async (dry) => (await api.post("/api/v1/writer/images/generate", { body: { site_id: siteId, prompt_ids: ids, dry_run: dry } })).data}
              onFinished={() => void loadMedia()}
            />
          ) : null}
        </div>
      ) : null}
      <section aria-label="Image prompts" className="space-y-2">
        <h2 className="text-sm font-semibold">Image prompts ({prompts.length})</h2>
        {prompts.length === 0 ? <p className="text-sm text-slate-600">No image prompts yet.</p> : null}
        <ol className="space-y-2">
          {prompts.map((p) => (
            <li key={p.id} className="rounded-md border border-slate-200 bg-white p-2 text-sm">
              <div className="text-xs font-semibold uppercase text-slate-600">{p.kind === "featured" ? "Featured image" : `Section ${p.position}: ${p.section_heading ?? ""}`}</div>
              <p>{p.prompt}</p>
              <p className="text-xs text-slate-600">Alt text: {p.alt_text}</p>
            </li>
          ))}
        </ol>
      </section>
      <section aria-label="Article images" className="space-y-2">
        <h2 className="text-sm font-semibold">Images ({images.length})</h2>
        {images.length === 0 ? <p className="text-sm text-slate-600">No images yet.</p> : null}
        <ul className="grid grid-cols-2 gap-3 lg:grid-cols-4">
          {images.map((img) => {
            const featured = content.featured_image_id === img.id;
            return (
              <li key={img.id} className="space-y-1 rounded-md border border-slate-200 bg-white p-2 text-xs">
                <img src={img.url} alt={img.alt_text} width={img.width} height={img.height} loading="lazy" className="h-auto w-full rounded bg-slate-100" />
                <div className="text-slate-700">{img.kind === "featured" ? "Featured slot" : `Section ${img.position}`} · {img.width}×{img.height}</div>
                {featured ? (
                  <span className="inline-block rounded bg-green-100 px-1.5 py-0.5 text-green-900">Featured image</span>
                ) : canEdit ? (
                  <button type="button" onClick={() => void setFeatured(img.id)} className="rounded border border-slate-300 px-2 py-0.5">
                    Set as featured
                  </button>
                ) : null}
              </li>
            );
          })}
        </ul>
      </section>
    </div>
  );
}

const TABS = ["Edit", "Versions", "Images"] as const;

export default function Article() {
  const { id = "" } = useParams();
  const siteId = useSiteStore((s) => s.siteId);
  const sitesLoading = useSiteStore((s) => s.loading);
  const { current, notFound, articleError, open, reload, close } = useContentStore();
  const canEdit = hasRole(useAuthStore((s) => s.user?.role), "editor");
  const [tab, setTab] = useState<(typeof TABS)[number]>("Edit");
  useEffect(() => {
    if (siteId) void open(siteId, id);
    return () => close();
  }, [siteId, id, open, close]);
  if (notFound) return <NotFoundPage what="article" back={{ to: "/writer/content", label: "Back to the content list" }} />;
  if (!siteId) return <p className="text-sm text-slate-600">{sitesLoading ? "Loading…" : "Choose a site in the header first."}</p>;
  if (!current) return articleError ? <ErrorBanner error={articleError} /> : <p className="text-sm text-slate-600">Loading…</p>;
  return (
    <section className="space-y-4">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <div>
          <Link to="/writer/content" className="text-sm text-indigo-800 underline">
            ← Content
          </Link>
          <h1 className="text-xl font-semibold">{current.title}</h1>
          <p className="text-xs text-slate-600">
            {current.status} · version {current.current_version} · {current.word_count} words saved
            {current.provider ? ` · written by ${current.provider}${current.model ? `/${current.model}` : ""}` : ""}
          </p>
        </div>
      </div>
      <ErrorBanner error={articleError} />
      {canEdit ? <Regenerate content={current} siteId={siteId} onDone={() => void reload()} /> : null}
      <div role="tablist" aria-label="Article" className="flex gap-1 border-b border-slate-200">
        {TABS.map((t) => (
          <button
            key={t}
            role="tab"
            type="button"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls={tab === t ? `panel-${t}` : undefined}
            onClick={() => setTab(t)}
            className={`-mb-px rounded-t-md border px-3 py-1.5 text-sm ${tab === t ? "border-slate-200 border-b-white bg-white font-medium" : "border-transparent text-slate-700"}`}
          >
            {t}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === "Edit" ? <Editor content={current} canEdit={canEdit} /> : null}
        {tab === "Versions" ? <Versions canEdit={canEdit} /> : null}
        {tab === "Images" ? <Images content={current} siteId={siteId} canEdit={canEdit} /> : null}
      </div>
    </section>
  );
}
