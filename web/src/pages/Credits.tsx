// Credits & plan: the two pools, the subscription with its limits, usage by
// month and AI function as a bar chart, the ledger with filters, the plans.
import { useEffect, useState, type FormEvent } from "react";
import type { Schemas } from "../api";
import { ErrorBanner } from "../components/Errors";
import { usageSeries, useCreditsStore, type LedgerFilters } from "../stores/creditsStore";

const TYPES: Schemas["TxnType"][] = ["reserve", "settle", "release", "grant", "adjust", "purchase"];
const COLORS = ["bg-indigo-600", "bg-emerald-600", "bg-amber-600", "bg-sky-600", "bg-rose-600", "bg-slate-600", "bg-violet-600", "bg-teal-700"];
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

function UsageChart({ rows }: { rows: Schemas["UsageRow"][] }) {
  const { months, functions, credits, max } = usageSeries(rows);
  if (months.length === 0) return <p className="text-sm text-slate-500">No AI usage yet.</p>;
  return (
    <figure className="space-y-2">
      <div className="space-y-2" role="list" aria-label="Credits charged by month">
        {months.map((m) => {
          const total = functions.reduce((n, f) => n + credits(m, f), 0);
          return (
            <div key={m} role="listitem" className="flex items-center gap-3 text-sm">
              <span className="w-20 shrink-0 tabular-nums">{m}</span>
              <div className="flex h-5 flex-1 overflow-hidden rounded bg-slate-100" aria-label={`${m}: ${fmt(total)} credits`}>
                {functions.map((f, i) => {
                  const c = credits(m, f);
                  return c > 0 ? (
                    <div key={f} className={COLORS[i % COLORS.length]} style={{ width: `${(c / (max || 1)) * 100}%` }} title={`${f}: ${fmt(c)} credits`} />
                  ) : null;
                })}
              </div>
              <span className="w-24 shrink-0 text-right tabular-nums">{fmt(total)} credits</span>
            </div>
          );
        })}
      </div>
      <figcaption className="flex flex-wrap gap-3 text-xs text-slate-700">
        {functions.map((f, i) => (
          <span key={f} className="flex items-center gap-1">
            <span className={`inline-block h-3 w-3 rounded-sm ${COLORS[i % COLORS.length]}`} aria-hidden="true" />
            {f}
          </span>
        ))}
      </figcaption>
    </figure>
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
                </tr>
              ))}
            </tbody>
          </table>
          <p className="text-xs text-slate-600">Changing plan from here is not built yet (the API: PATCH /api/v1/subscription/, owner only).</p>
        </section>
      ) : null}
    </section>
  );
}
