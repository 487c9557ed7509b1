// Planner tasks: a board by status. Each card offers only the moves the API
// allows from its state (editors and above); a refused move shows the API's
// reason and the board as it now is.
import { useEffect } from "react";
import { ErrorBanner } from "../../components/Errors";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { useSiteStore } from "../../stores/siteStore";
import { ALLOWED_NEXT, COLUMNS, useTasksStore, type TaskStatus } from "../../stores/tasksStore";
import { canWrite, WriteArticle } from "../writer/WriteArticle";

const LABEL: Record<TaskStatus, string> = {
  queued: "Queued",
  in_progress: "In progress",
  generated: "Generated",
  review: "Review",
  published: "Published",
  cancelled: "Cancelled",
};

export default function Tasks() {
  const { siteId, sectorId } = useSiteStore();
  const { tasks, next, loading, error, load, move } = useTasksStore();
  const canEdit = hasRole(useAuthStore((s) => s.user?.role), "editor");
  const scope = siteId ? { siteId, sectorId } : null;
  useEffect(() => {
    if (scope) void load(scope);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [siteId, sectorId]);
  if (!scope) return <p className="text-sm text-slate-600">Choose a site and a sector in the header first.</p>;
  return (
    <section className="space-y-4">
      <h1 className="text-xl font-semibold">Tasks</h1>
      <ErrorBanner error={error} />
      {!loading && tasks.length === 0 ? <p className="text-sm text-slate-600">No tasks in this sector yet: turn ideas into tasks on the Ideas page.</p> : null}
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-6">
        {COLUMNS.map((col) => {
          const cards = tasks.filter((t) => t.status === col);
          return (
            <section key={col} aria-label={LABEL[col]} className="min-h-24 rounded-lg bg-slate-100 p-2">
              <h2 className="mb-2 text-xs font-semibold uppercase text-slate-700">
                {LABEL[col]} <span className="font-normal">({cards.length})</span>
              </h2>
              <ul className="space-y-2">
                {cards.map((t) => (
                  <li key={t.id} className="rounded-md border border-slate-200 bg-white p-2 text-sm shadow-sm">
                    <div className="font-medium">{t.title}</div>
                    <div className="text-xs text-slate-600">{t.target_word_count} words</div>
                    {canEdit && ALLOWED_NEXT[t.status].length > 0 ? (
                      <div className="mt-2 flex flex-wrap gap-1" role="group" aria-label={`Move ${t.title}`}>
                        {ALLOWED_NEXT[t.status].map((to) => (
                          <button
                            key={to}
                            type="button"
                            onClick={() => void move(scope, t, to)}
                            className="rounded border border-slate-300 px-1.5 py-0.5 text-xs hover:bg-slate-50"
                          >
                            → {LABEL[to]}
                          </button>
                        ))}
                      </div>
                    ) : null}
                    {canEdit && canWrite(t) ? (
                      <div className="mt-2">
                        <WriteArticle task={t} siteId={scope.siteId} onDone={() => void load(scope)} />
                      </div>
                    ) : null}
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
      </div>
      {next ? (
        <button type="button" onClick={() => void load(scope, true)} className="rounded-md border border-slate-300 px-3 py-1 text-sm">
          Load more
        </button>
      ) : null}
    </section>
  );
}
