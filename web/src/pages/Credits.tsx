// Credits & plan: the two pools, the subscription with its limits, usage by
// month and AI function as a bar chart, the ledger with filters, the plans.
import { useEffect, useState, type FormEvent } from "react";
import type { Schemas } from "../api";
import { ErrorBanner } from "../components/Errors";
import { useSubmit } from "../lib/useForm";
import { usageChart } from "../lib/usageChart";
import { hasRole, useAuthStore } from "../stores/authStore";
import { useCreditsStore, type LedgerFilters } from "../stores/creditsStore";

const TYPES: Schemas["TxnType"][] = ["reserve", "settle", "release", "grant", "adjust", "purchase"];
const COLORS = ["#4f46e5", "#059669", "#d97706", "#0284c7", "#e11d48", "#475569", "#7c3aed", "#0f766e"];
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/** Credits by month, stacked by AI function: plain SVG. */
function UsageChart({ rows }: { rows: Schemas["UsageRow"][] }) {
  const { functions, bars, scale, ticks } = usageChart(rows);
  if (bars.length === 0) return <p className="text-sm text-slate-500">No AI usage yet.</p>;
  const H = 180;
  const left = 48;
  const bw = 36;
  const gap = 28;
  const W = left + bars.length * (bw + gap) + gap;
  const y = (f: number) => 10 + H * (1 - f);
  const color = (fn: string) => COLORS[functions.indexOf(fn) % COLORS.length];
  return (
    <figure className="space-y-2">
      <svg width={W} height={H + 40} viewBox={`0 0 ${W} ${H + 40}`} role="list" aria-label="Credits charged by month" className="max-w-full">
        {ticks.map((t) => (
          <g key={t} aria-hidden="true">
            <line x1={left} x2={W} y1={y(t / scale)} y2={y(t / scale)} stroke="#e2e8f0" />
            <text x={left - 6} y={y(t / scale) + 4} textAnchor="end" fontSize="10" fill="#475569">
              {fmt(t)}
            </text>
          </g>
        ))}
        {bars.map((b, i) => {
          const x = left + gap + i * (bw + gap);
          return (
            <g key={b.month} role="listitem" aria-label={`${b.month}: ${fmt(b.total)} credits`}>
              {b.segments.map((s) => (
                <rect key={s.fn} x={x} width={bw} y={y(s.to)} height={Math.max(0, y(s.from) - y(s.to))} fill={color(s.fn)}>
                  <title>{`${b.month} ${s.fn}: ${fmt(s.credits)} credits`}</title>
                </rect>
              ))}
              <text x={x + bw / 2} y={H + 24} textAnchor="middle" fontSize="10" fill="#334155" aria-hidden="true">
                {b.month}
              </text>
              <text x={x + bw / 2} y={y(b.total / scale) - 3} textAnchor="middle" fontSize="10" fill="#334155" aria-hidden="true">
                {fmt(b.total)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="flex flex-wrap gap-3 text-xs text-slate-700">
        {functions.map((f) => (
          <span key={f} className="flex items-center gap-1">
            <span className="inline-block h-3 w-3 rounded-sm" style={{ background: color(f) }} aria-hidden="true" />
            {f}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

/** The owner's plan switch: a downgrade applies at once, an upgrade waits for staff approval (202). */
function PlanButton({ plan }: { plan: Schemas["Plan"] }) {
  const changePlan = useCreditsStore((s) => s.changePlan);
  const { error, busy, run } = useSubmit();
  const [note, setNote] = useState<string | null>(null);
  return (
    <span className="inline-flex flex-col items-start gap-1">
      <button
        type="button"
        disabled={busy}
        className="rounded-md border border-slate-300 bg-white px-2 py-0.5 text-xs hover:bg-slate-50 disabled:opacity-50"
        onClick={() => void run(async () => setNote(await changePlan(plan.id)))}
      >
        Switch to {plan.name}
      </button>
      {note ? (
        <span role="status" className="text-xs text-slate-700">
          {note}
        </span>
      ) : null}
      {error ? <ErrorBanner error={error} /> : null}
    </span>
  );
}

function LedgerFilterForm({ initial, onApply }: { initial: LedgerFilters; onApply: (f: LedgerFilters) => void }) {
  const [f, setF] = useState(initial);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(f);
  };
  return (
    <form onSubmit={submit} aria-label="Ledger filters" className="flex flex-wrap items-end gap-3 text-xs text-slate-600">
      <label className="flex flex-col">
        Type
        <select value={f.type} onChange={(e) => setF({ ...f, type: e.target.value as LedgerFilters["type"] })} className="rounded-md border border-slate-300 px-2 py-1 text-sm">
          <option value="">any</option>
          {TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      <label className="flex flex-col">
        From
        <input type="date" value={f.from} onChange={(e) => setF({ ...f, from: e.target.value })} className="rounded-md border border-slate-300 px-2 py-1 text-sm" />
      </label>
      <label className="flex flex-col">
        To
        <input type="date" value={f.to} onChange={(e) => setF({ ...f, to: e.target.value })} className="rounded-md border border-slate-300 px-2 py-1 text-sm" />
      </label>
      <button type="submit" className="rounded-md bg-slate-800 px-3 py-1.5 text-sm text-white">
        Filter
      </button>
    </form>
  );
}

export default function Credits() {
  const { balance, subscription, usage, plans, ledger, ledgerNext, ledgerFilters, pageError, loading, loadPage, loadLedger } = useCreditsStore();
  useEffect(() => {
    void loadPage();
  }, [loadPage]);
  const sub = subscription;
  const owner = hasRole(
    useAuthStore((s) => s.user?.role),
    "owner",
  );
  return (
    <section className="max-w-5xl space-y-6">
      <h1 className="text-xl font-semibold">Credits &amp; plan</h1>
      <ErrorBanner error={pageError} />
      {balance ? (
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4" aria-label="Balance">
          {[
            ["Total", fmt(balance.total)],
            ["Plan credits", fmt(balance.plan_credits)],
            ["Bonus credits", fmt(balance.bonus_credits)],
            ["Plan", balance.plan],
          ].map(([k, v]) => (
            <div key={k} className="rounded-md border border-slate-200 bg-white px-3 py-2">
              <dt className="text-xs text-slate-600">{k}</dt>
              <dd className="text-lg font-semibold tabular-nums">{v}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      <p className="text-xs text-slate-600">Plan credits reset each period and are spent first; bonus credits never expire.</p>

      {sub ? (
        <section aria-label="Subscription" className="space-y-1 text-sm">
          <h2 className="text-base font-semibold">Subscription</h2>
          <p>
            {sub.plan.name} plan{sub.period ? ` · period ${sub.period}` : ""} · {sub.plan.monthly_credits} credits a month
          </p>
          <p className="text-slate-700">
            Keywords {sub.keywords_used} / {sub.plan.max_keywords} · sites {sub.sites_used} / {sub.plan.max_sites} · users {sub.users_used} / {sub.plan.max_users}
          </p>
          {sub.pending_plan ? <p className="text-amber-800">Upgrade to {sub.pending_plan.name} requested: it applies once IGNY8 staff approve it.</p> : null}
        </section>
      ) : null}

      <section className="space-y-2">
        <h2 className="text-base font-semibold">Usage by month and AI function</h2>
        {loading && usage.length === 0 ? <p className="text-sm text-slate-500">Loading…</p> : <UsageChart rows={usage} />}
      </section>

      <section className="space-y-2">
        <h2 className="text-base font-semibold">Ledger</h2>
        <LedgerFilterForm initial={ledgerFilters} onApply={(f) => void loadLedger(f)} />
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" tabIndex={0} role="region" aria-label="Ledger lines">
          <table className="min-w-full text-sm">
            <thead className="bg-slate-50 text-left text-xs uppercase text-slate-600">
              <tr>
                <th className="px-3 py-2">When</th>
                <th className="px-3 py-2">Type</th>
                <th className="px-3 py-2">Function</th>
                <th className="px-3 py-2 text-right">Plan Δ</th>
                <th className="px-3 py-2 text-right">Bonus Δ</th>
                <th className="px-3 py-2 text-right">Balance after</th>
                <th className="px-3 py-2">Reason</th>
              </tr>
            </thead>
            <tbody>
              {ledger.map((t) => (
                <tr key={t.id} className="border-t border-slate-100">
                  <td className="px-3 py-1.5 whitespace-nowrap">{new Date(t.created_at).toLocaleString()}</td>
                  <td className="px-3 py-1.5">{t.type}</td>
                  <td className="px-3 py-1.5">{t.function ?? "—"}</td>
                  <td className="px-3 py-1.5 text-right tabular-nums">{fmt(t.plan_delta)}</td>
                  <td className="px-3 py-1.5 text-right tabular-nums">{fmt(t.bonus_delta)}</td>
                  <td className="px-3 py-1.5 text-right tabular-nums">{fmt(t.balance_after)}</td>
                  <td className="px-3 py-1.5">{t.reason ?? ""}</td>
                </tr>
              ))}
              {ledger.length === 0 ? (
                <tr>
                  <td colSpan={7} className="px-3 py-4 text-center text-slate-500">
                    No ledger lines match.
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </div>
        {ledgerNext ? (
          <button type="button" onClick={() => void loadLedger(ledgerFilters, true)} className="rounded-md border border-slate-300 px-3 py-1 text-sm">
            Load more
          </button>
        ) : null}
      </section>

      {plans.length > 0 ? (
        <section className="space-y-2">
          <h2 className="text-base font-semibold">Plans</h2>
          <table className="min-w-full rounded-md border border-slate-200 bg-white text-sm">
            <thead className="bg-slate-50 text-left text-xs uppercase text-slate-600">
              <tr>
                <th className="px-3 py-2">Plan</th>
                <th className="px-3 py-2 text-right">Credits / month</th>
                <th className="px-3 py-2 text-right">Keywords</th>
                <th className="px-3 py-2 text-right">Sites</th>
                <th className="px-3 py-2 text-right">Users</th>
                {owner ? (
                  <th className="px-3 py-2">
                    <span className="sr-only">Change plan</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {plans.map((p) => (
                <tr key={p.id} className={`border-t border-slate-100 ${sub?.plan.id === p.id ? "font-semibold" : ""}`}>
                  <td className="px-3 py-1.5">
                    {p.name}
                    {sub?.plan.id === p.id ? " (current)" : ""}
                  </td>
                  <td className="px-3 py-1.5 text-right tabular-nums">{p.monthly_credits}</td>
                  <td className="px-3 py-1.5 text-right tabular-nums">{p.max_keywords}</td>
                  <td className="px-3 py-1.5 text-right tabular-nums">{p.max_sites}</td>
                  <td className="px-3 py-1.5 text-right tabular-nums">{p.max_users}</td>
                  {owner ? <td className="px-3 py-1.5">{sub?.plan.id !== p.id && sub?.pending_plan?.id !== p.id ? <PlanButton plan={p} /> : null}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
          <p className="text-xs text-slate-600">
            {owner ? "A downgrade applies at once; an upgrade applies once IGNY8 staff approve it." : "Only the account's owner changes the plan."}
          </p>
        </section>
      ) : null}
    </section>
  );
}
