// Automation: the selected site's rules (the rule builder, run now, dry-run,
// resume, delete — editors and above), a rule's executions, and the site's
// staged pipeline: each stage's settings, waiting items and last runs; its
// configuration form, run now, pause, resume and cancel (editors and above).
import { useEffect, useState } from "react";
import { ErrorBanner } from "../../components/Errors";
import { cronPreview } from "../../lib/cron";
import { useSubmit } from "../../lib/useForm";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { useAutomationStore, type Execution, type Rule } from "../../stores/automationStore";
import { useSiteStore } from "../../stores/siteStore";
import { BTN, DANGER, PRIMARY } from "../settings/common";
import { PipelineForm } from "./PipelineForm";
import { stageSettings } from "./pipelineConfig";
import { RuleBuilder } from "./RuleBuilder";

const fmt = (n: number | null | undefined) => (n == null ? "—" : Number.isInteger(n) ? String(n) : n.toFixed(2));

function when(r: Rule): string {
  if (r.trigger === "schedule" && r.schedule) {
    const p = cronPreview(r.schedule.cron, r.schedule.timezone);
    return p.ok ? p.text : `${r.schedule.cron} (${r.schedule.timezone})`;
  }
  if (r.trigger === "event") return `On ${r.event?.type ?? "an event"}`;
  return "Run by hand";
}

function RunResult({ run }: { run: Execution }) {
  return (
    <section aria-label="Last run" role="status" className="rounded-lg border border-indigo-200 bg-indigo-50 p-3 text-sm">
      <p>
        <strong>{run.rule_name ?? run.rule_id}</strong>: {run.outcome === "dry_run" ? "dry run" : run.outcome} — matched {run.matched ?? 0}, estimated{" "}
        {fmt(run.estimated_credits)} credits{run.job_ids?.length ? `, ${run.job_ids.length} job(s) queued` : ""}.
      </p>
      {run.detail ? <p className="text-xs text-slate-700">{run.detail}</p> : null}
      {run.errors?.length ? <p className="text-xs text-red-800">{run.errors.join("; ")}</p> : null}
    </section>
  );
}

function Executions() {
  const { openRuleId, rules, executions, executionsNext, openExecutions } = useAutomationStore();
  const rule = rules.find((r) => r.id === openRuleId);
  if (!openRuleId) return null;
  return (
    <section className="space-y-2">
      <h2 className="text-base font-semibold">Executions of {rule?.name ?? openRuleId}</h2>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" role="region" aria-label="Executions" tabIndex={0}>
        <table className="min-w-full text-sm">
          <thead className="bg-slate-50 text-left text-xs uppercase text-slate-600">
            <tr>
              <th className="px-3 py-2">When</th>
              <th className="px-3 py-2">Trigger</th>
              <th className="px-3 py-2">Outcome</th>
              <th className="px-3 py-2 text-right">Matched</th>
              <th className="px-3 py-2 text-right">Estimated</th>
              <th className="px-3 py-2 text-right">Spent</th>
              <th className="px-3 py-2">Detail</th>
            </tr>
          </thead>
          <tbody>
            {executions.map((x) => (
              <tr key={x.id} className="border-t border-slate-100">
                <td className="px-3 py-1.5 whitespace-nowrap">{new Date(x.created_at).toLocaleString()}</td>
                <td className="px-3 py-1.5">{x.trigger ?? ""}</td>
                <td className="px-3 py-1.5">{x.outcome}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{x.matched ?? 0}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{fmt(x.estimated_credits)}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{fmt(x.credits_spent)}</td>
                <td className="px-3 py-1.5 text-xs">{[x.detail, ...(x.errors ?? [])].filter(Boolean).join("; ")}</td>
              </tr>
            ))}
            {executions.length === 0 ? (
              <tr>
                <td colSpan={7} className="px-3 py-4 text-center text-slate-500">
                  This rule has not run yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {executionsNext ? (
        <button type="button" className={BTN} onClick={() => void openExecutions(openRuleId, true)}>
          Load more
        </button>
      ) : null}
    </section>
  );
}

function Pipeline({ editor, siteId, siteZone }: { editor: boolean; siteId: string; siteZone?: string | null }) {
  const { pipeline, pipelineNote, stageRuns, runPipeline, savePipeline, setPipelineState } = useAutomationStore();
  const { error, busy, run } = useSubmit();
  const [editing, setEditing] = useState(false);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const pl = pipeline?.pipeline;
  return (
    <section className="space-y-2" aria-label="Pipeline">
      <h2 className="text-base font-semibold">Pipeline</h2>
      {pipeline && pl ? (
        <>
          <p className="text-sm text-slate-700" data-testid="pipeline-state">
            {pl.state}
            {pl.enabled ? "" : " (disabled)"}
            {pl.current_stage ? ` · current stage: ${pl.current_stage}` : ""}
            {pl.paused_reason ? ` · paused: ${pl.paused_reason}` : ""}
            {pl.schedule ? ` · ${when({ trigger: "schedule", schedule: pl.schedule } as Rule)}` : " · runs when started and after each of its jobs"}
          </p>
          {pl.state === "cancelled" ? <p className="text-xs text-slate-600">Cancelled: saving its configuration starts it again.</p> : null}
          <ol aria-label="Pipeline stages" className="grid gap-2 sm:grid-cols-4">
            {pipeline.stages.map((s) => {
              const last = s.history[0];
              const ran = stageRuns?.find((r) => r.stage === s.stage);
              const current = pl.current_stage === s.stage;
              return (
                <li key={s.stage} className={`rounded-md border p-2 text-sm ${current ? "border-indigo-400 bg-indigo-50" : "border-slate-200 bg-white"}`} aria-current={current ? "step" : undefined}>
                  <div className="font-medium">{s.stage}</div>
                  <div className="text-xs text-slate-600" data-testid="stage-settings">
                    {stageSettings(s.stage, pl.stages)}
                  </div>
                  <div className="text-xs text-slate-700">{s.waiting} waiting</div>
                  <div className="text-xs text-slate-600">{last ? `last: ${last.outcome} ${new Date(last.created_at).toLocaleString()}` : "not run yet"}</div>
                  {ran ? <div className="text-xs text-indigo-900">this run: {ran.status}</div> : null}
                </li>
              );
            })}
          </ol>
          <ErrorBanner error={error} />
          {editor ? (
            <div className="flex flex-wrap gap-2">
              {pl.state === "active" && pl.enabled ? (
                <button type="button" disabled={busy} className={BTN} onClick={() => void run(runPipeline)}>
                  Run pipeline now
                </button>
              ) : null}
              {pl.state === "active" ? (
                <button type="button" disabled={busy} className={BTN} onClick={() => void run(() => setPipelineState("pause"))}>
                  Pause pipeline
                </button>
              ) : null}
              {pl.state === "paused" ? (
                <button type="button" disabled={busy} className={BTN} onClick={() => void run(() => setPipelineState("resume"))}>
                  Resume pipeline
                </button>
              ) : null}
              {!editing ? (
                <button type="button" className={BTN} onClick={() => setEditing(true)}>
                  Edit pipeline…
                </button>
              ) : null}
              {pl.state !== "cancelled" ? (
                confirmCancel ? (
                  <span role="group" aria-label="Confirm cancelling the pipeline" className="flex gap-1">
                    <button
                      type="button"
                      disabled={busy}
                      className={DANGER}
                      onClick={() =>
                        void run(async () => {
                          await setPipelineState("cancel");
                          setConfirmCancel(false);
                        })
                      }
                    >
                      Cancel the pipeline
                    </button>
                    <button type="button" className={BTN} onClick={() => setConfirmCancel(false)}>
                      Keep it running
                    </button>
                  </span>
                ) : (
                  <button type="button" className={DANGER} onClick={() => setConfirmCancel(true)}>
                    Cancel pipeline…
                  </button>
                )
              ) : null}
            </div>
          ) : null}
        </>
      ) : (
        <>
          <p className="text-sm text-slate-600">{pipelineNote ?? "Loading…"}</p>
          {editor && pipelineNote !== null && !editing ? (
            <button type="button" className={PRIMARY} onClick={() => setEditing(true)}>
              Configure pipeline…
            </button>
          ) : null}
        </>
      )}
      {editor && editing ? <PipelineForm key={pl?.version ?? 0} pipeline={pl ?? null} siteId={siteId} siteZone={siteZone} save={savePipeline} onDone={() => setEditing(false)} /> : null}
    </section>
  );
}

function RuleRow({ r, editor, onEdit }: { r: Rule; editor: boolean; onEdit: () => void }) {
  const { execute, resume, remove, openExecutions } = useAutomationStore();
  const { error, busy, run } = useSubmit();
  const [confirming, setConfirming] = useState(false);
  return (
    <tr className="border-t border-slate-100 align-top">
      <td className="px-3 py-2">
        <div className="font-medium">{r.name}</div>
        <div className="text-xs text-slate-600">
          {r.actions.map((a) => a.type).join(" → ")}
          {r.conditions?.length ? ` · ${r.conditions.length} condition(s)` : ""}
        </div>
        {error ? <ErrorBanner error={error} /> : null}
      </td>
      <td className="px-3 py-2 text-xs">{when(r)}</td>
      <td className="px-3 py-2 text-xs">
        {r.paused_reason ? <span className="text-amber-800">paused: {r.paused_reason}</span> : r.enabled ? "enabled" : "disabled"}
        {r.last_run_at ? <div className="text-slate-600">last run {new Date(r.last_run_at).toLocaleString()}</div> : null}
      </td>
      <td className="px-3 py-2">
        <div className="flex flex-wrap gap-1">
          <button type="button" className={BTN} onClick={() => void openExecutions(r.id)}>
            Executions of {r.name}
          </button>
          {editor ? (
            <>
              <button type="button" disabled={busy} className={BTN} onClick={() => void run(() => execute(r.id, true))}>
                Dry run {r.name}
              </button>
              <button type="button" disabled={busy} className={BTN} onClick={() => void run(() => execute(r.id, false))}>
                Run {r.name} now
              </button>
              {r.paused_reason ? (
                <button type="button" disabled={busy} className={BTN} onClick={() => void run(() => resume(r.id))}>
                  Resume {r.name}
                </button>
              ) : null}
              <button type="button" className={BTN} onClick={onEdit}>
                Edit {r.name}
              </button>
              {confirming ? (
                <span role="group" aria-label={`Confirm deleting ${r.name}`} className="flex gap-1">
                  <button type="button" disabled={busy} className={DANGER} onClick={() => void run(() => remove(r.id))}>
                    Delete {r.name}
                  </button>
                  <button type="button" className={BTN} onClick={() => setConfirming(false)}>
                    Keep
                  </button>
                </span>
              ) : (
                <button type="button" className={DANGER} onClick={() => setConfirming(true)}>
                  Delete…
                </button>
              )}
            </>
          ) : null}
        </div>
      </td>
    </tr>
  );
}

export default function Automation() {
  const siteId = useSiteStore((s) => s.siteId);
  const sectorId = useSiteStore((s) => s.sectorId);
  const site = useSiteStore((s) => s.sites.find((x) => x.id === s.siteId));
  const editor = hasRole(
    useAuthStore((s) => s.user?.role),
    "editor",
  );
  const { rules, rulesNext, error, lastRun, load, loadMoreRules, save } = useAutomationStore();
  const [building, setBuilding] = useState<Rule | "new" | null>(null);
  useEffect(() => {
    void load(siteId);
  }, [load, siteId]);
  if (!siteId) {
    return (
      <section className="space-y-2">
        <h1 className="text-xl font-semibold">Automation</h1>
        <p className="text-sm text-slate-600">Add a site first (Settings → Sites and sectors).</p>
      </section>
    );
  }
  return (
    <section className="max-w-6xl space-y-5">
      <div className="flex items-center justify-between">
        <h1 className="text-xl font-semibold">Automation for {site?.name}</h1>
        {editor && building === null ? (
          <button type="button" className={PRIMARY} onClick={() => setBuilding("new")}>
            New rule…
          </button>
        ) : null}
      </div>
      <ErrorBanner error={error} />
      {building !== null ? (
        <RuleBuilder
          key={building === "new" ? "new" : building.id}
          rule={building === "new" ? undefined : building}
          siteId={siteId}
          sectorId={sectorId}
          save={save}
          onDone={() => setBuilding(null)}
        />
      ) : null}
      {lastRun ? <RunResult run={lastRun} /> : null}
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" role="region" aria-label="Rules" tabIndex={0}>
        <table className="min-w-full text-sm">
          <thead className="bg-slate-50 text-left text-xs uppercase text-slate-600">
            <tr>
              <th className="px-3 py-2">Rule</th>
              <th className="px-3 py-2">When</th>
              <th className="px-3 py-2">State</th>
              <th className="px-3 py-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <RuleRow key={`${r.id}-${r.version}`} r={r} editor={editor} onEdit={() => setBuilding(r)} />
            ))}
            {rules.length === 0 ? (
              <tr>
                <td colSpan={4} className="px-3 py-4 text-center text-slate-500">
                  No rules for this site yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {rulesNext ? (
        <button type="button" className={BTN} onClick={() => void loadMoreRules()}>
          Load more
        </button>
      ) : null}
      <Executions />
      <Pipeline editor={editor} siteId={siteId} siteZone={site?.timezone} />
    </section>
  );
}
