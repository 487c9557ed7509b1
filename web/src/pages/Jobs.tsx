// Jobs: every AI action and import of the account, filterable by status; an
// open job can be followed in the ProgressModal.
import { useEffect } from "react";
import { ErrorBanner } from "../components/Errors";
import { ProgressModal } from "../components/ProgressModal";
import { FINISHED, useJobsStore, type Job } from "../stores/jobsStore";

const STATUSES: Job["status"][] = ["queued", "running", "completed", "failed", "cancelled"];
const TONE: Record<Job["status"], string> = {
  queued: "bg-slate-100 text-slate-800",
  running: "bg-indigo-100 text-indigo-900",
  completed: "bg-green-100 text-green-900",
  failed: "bg-red-100 text-red-900",
  cancelled: "bg-slate-200 text-slate-800",
};

export default function Jobs() {
  const { list, listNext, listStatus, listError, loadList, follow, job } = useJobsStore();
  useEffect(() => {
    void loadList("");
  }, [loadList]);
  return (
    <section className="max-w-5xl space-y-4">
      <div className="flex items-end justify-between">
        <h1 className="text-xl font-semibold">Jobs</h1>
        <label className="flex flex-col text-xs text-slate-600">
          Status
          <select value={listStatus} onChange={(e) => void loadList(e.target.value as Job["status"] | "")} className="rounded-md border border-slate-300 px-2 py-1 text-sm">
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBanner error={listError} />
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" tabIndex={0} role="region" aria-label="Jobs list">
        <table className="min-w-full text-sm">
          <thead className="bg-slate-50 text-left text-xs uppercase text-slate-600">
            <tr>
              <th className="px-3 py-2">Started</th>
              <th className="px-3 py-2">Kind</th>
              <th className="px-3 py-2">Status</th>
              <th className="px-3 py-2">Phase</th>
              <th className="px-3 py-2 text-right">Progress</th>
              <th className="px-3 py-2 text-right">Credits</th>
              <th className="px-3 py-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((j) => (
              <tr key={j.id} className="border-t border-slate-100 align-top">
                <td className="px-3 py-1.5 whitespace-nowrap">{new Date(j.created_at).toLocaleString()}</td>
                <td className="px-3 py-1.5">{j.kind}</td>
                <td className="px-3 py-1.5">
                  <span className={`rounded px-1.5 py-0.5 text-xs ${TONE[j.status]}`}>{j.status}</span>
                  {j.status === "failed" && j.error ? <div className="mt-1 text-xs text-red-800">{j.error}</div> : null}
                </td>
                <td className="px-3 py-1.5">{j.phase}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{j.progress}%</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{j.credits_charged ?? j.credits_estimate ?? "—"}</td>
                <td className="px-3 py-1.5 text-right">
                  {!FINISHED.has(j.status) ? (
                    <button type="button" onClick={() => follow(j)} className="rounded-md border border-slate-300 px-2 py-0.5 text-xs">
                      Show progress
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
            {list.length === 0 ? (
              <tr>
                <td colSpan={7} className="px-3 py-4 text-center text-slate-500">
                  No jobs{listStatus ? ` with status ${listStatus}` : ""}.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {listNext ? (
        <button type="button" onClick={() => void loadList(listStatus, true)} className="rounded-md border border-slate-300 px-3 py-1 text-sm">
          Load more
        </button>
      ) : null}
      {job ? <ProgressModal title={`Job: ${job.kind}`} onFinished={() => void loadList(listStatus)} /> : null}
    </section>
  );
}
