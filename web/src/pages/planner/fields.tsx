// Form pieces shared by the planner's edit forms (clusters, ideas, tasks): a
// labelled textarea and select with the API's field error under them, and the
// field errors that name no field of the form (listed, never dropped).
import type { ReactNode } from "react";
import type { FieldErrors } from "../../api";

export const BTN = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm hover:bg-slate-50 disabled:opacity-50";
export const PRIMARY = "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-50";
export const DANGER = "rounded-md border border-red-300 bg-white px-2 py-1 text-sm text-red-800 hover:bg-red-50 disabled:opacity-50";
const INPUT = "block w-full rounded-md border px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 focus:ring-indigo-500";

/** The error the API gave for `name`, or for its items (`name[0]`, `name[1].heading`). */
export function errorFor(fields: FieldErrors, name: string): string | undefined {
  const hits = Object.entries(fields).filter(([k]) => k === name || k.startsWith(`${name}[`) || k.startsWith(`${name}.`));
  if (hits.length === 0) return undefined;
  return hits.map(([k, m]) => (k === name ? m : `${k}: ${m}`)).join("; ");
}

/** Field errors naming none of `known` (so none is lost). */
export function otherErrors(fields: FieldErrors, known: string[]): [string, string][] {
  return Object.entries(fields).filter(([k]) => !known.some((n) => k === n || k.startsWith(`${n}[`) || k.startsWith(`${n}.`)));
}

export function OtherErrors({ fields, known }: { fields: FieldErrors; known: string[] }) {
  const rest = otherErrors(fields, known);
  if (rest.length === 0) return null;
  return (
    <ul aria-label="Other errors" className="list-disc pl-5 text-xs text-red-700">
      {rest.map(([k, m]) => (
        <li key={k}>
          {k}: {m}
        </li>
      ))}
    </ul>
  );
}

function Wrap({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      {children}
      {error ? (
        <p id={`${id}-error`} className="text-xs text-red-700">
          {error}
        </p>
      ) : hint ? (
        <p className="text-xs text-slate-600">{hint}</p>
      ) : null}
    </div>
  );
}

interface Common {
  label: string;
  name: string;
  value: string;
  onChange(v: string): void;
  error?: string;
  hint?: ReactNode;
}

export function TextArea({ label, name, value, onChange, error, hint, rows = 3 }: Common & { rows?: number }) {
  const id = `f-${name}`;
  return (
    <Wrap id={id} label={label} error={error} hint={hint}>
      <textarea
        id={id}
        name={name}
        rows={rows}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => onChange(e.target.value)}
        className={`${INPUT} ${error ? "border-red-400" : "border-slate-300"}`}
      />
    </Wrap>
  );
}

export function Select({ label, name, value, onChange, error, hint, options, disabled }: Common & { options: [string, string][]; disabled?: boolean }) {
  const id = `f-${name}`;
  return (
    <Wrap id={id} label={label} error={error} hint={hint}>
      <select
        id={id}
        name={name}
        value={value}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => onChange(e.target.value)}
        className={`${INPUT} bg-white ${error ? "border-red-400" : "border-slate-300"}`}
      >
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </Wrap>
  );
}

/** "a, b ,c" → ["a", "b", "c"] (empty items dropped). */
export const splitList = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
