// Writer: the site's (sector's) content, filtered by status and title, each
// row opening the article view and editor.
import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import type { Schemas } from "../../api";
import { ErrorBanner } from "../../components/Errors";
import { useContentStore } from "../../stores/contentStore";
import { useSiteStore } from "../../stores/siteStore";

const STATUSES: Schemas["ContentStatus"][] = ["draft", "review", "approved", "published"];

export default function Content() {
  const { siteId, sectorId } = useSiteStore();
  const { items, next, filters, loading, error, load } = useContentStore();
  const [search, setSearch] = useState(filters.search);
  const scope = siteId ? { siteId, sectorId } : null;
  useEffect(() => {
    if (scope) void load(scope);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [siteId, sectorId]);
  if (!scope) return <p className="text-sm text-slate-600">Choose a site and a sector in the header first.</p>;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void load(scope, { filters: { ...filters, search } });
  };
  return (
    <section className="max-w-5xl space-y-4">
      <h1 className="text-xl font-semibold">Content</h1>
      <form onSubmit={submit} aria-label="Content filters" className="flex flex-wrap items-end gap-3 text-xs text-slate-600">
        <label className="flex flex-col">
          Title contains
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} className="w-56 rounded-md border border-slate-300 px-2 py-1 text-sm" />
        </label>
        <label className="flex flex-col">
          Status
          <select
            value={filters.status}
            onChange={(e) => void load(scope, { filters: { ...filters, search, status: e.target.value as Schemas["ContentStatus"] | "" } })}
            className="rounded-md border border-slate-300 px-2 py-1 text-sm"
          >
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <button type="submit" className="rounded-md bg-slate-800 px-3 py-1.5 text-sm text-white">
          Apply
        </button>
      </form>
      <ErrorBanner error={error} />
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" tabIndex={0} role="region" aria-label="Content list">
        <table className="min-w-full text-sm">
          <thead className="bg-slate-50 text-left text-xs uppercase text-slate-600">
            <tr>
              <th className="px-3 py-2">Title</th>
              <th className="px-3 py-2">Focus keyword</th>
              <th className="px-3 py-2 text-right">Words</th>
              <th className="px-3 py-2">Status</th>
              <th className="px-3 py-2 text-right">Version</th>
              <th className="px-3 py-2">Updated</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id} className="border-t border-slate-100">
                <td className="px-3 py-1.5">
                  <Link to={`/writer/content/${c.id}`} className="text-indigo-800 underline">
                    {c.title}
                  </Link>
                </td>
                <td className="px-3 py-1.5">{c.focus_keyword ?? "—"}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{c.word_count}</td>
                <td className="px-3 py-1.5">{c.status}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{c.current_version}</td>
                <td className="px-3 py-1.5 text-slate-600">{new Date(c.updated_at).toLocaleString()}</td>
              </tr>
            ))}
            {!loading && items.length === 0 ? (
              <tr>
                <td colSpan={6} className="px-3 py-6 text-center text-slate-600">
                  No content yet: write an article from a task on the Tasks page.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {next ? (
        <button type="button" onClick={() => void load(scope, { more: true })} className="rounded-md border border-slate-300 px-3 py-1 text-sm">
          Load more
        </button>
      ) : null}
    </section>
  );
}
