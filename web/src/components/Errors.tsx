// How an API failure is shown: the envelope's `error` in a banner (with its
// request id for support), field `errors` next to their fields.
import type { ReactNode } from "react";
import type { ApiError } from "../api";

export function ErrorBanner({ error }: { error: ApiError | Error | string | null | undefined }) {
  if (!error) return null;
  const message = typeof error === "string" ? error : error.message;
  const requestId = typeof error === "object" && "requestId" in error ? error.requestId : null;
  return (
    <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
      {message}
      {requestId ? <span className="ml-2 text-xs text-red-800"> (request {requestId})</span> : null}
    </div>
  );
}

interface FieldProps {
  label: string;
  name: string;
  error?: string;
  hint?: ReactNode;
  children?: ReactNode;
  type?: string;
  value?: string;
  onChange?: (v: string) => void;
  autoComplete?: string;
  required?: boolean;
}

/** A labelled input with its field error (from the envelope's `errors`) under it. */
export function Field({ label, name, error, hint, type = "text", value, onChange, autoComplete, required }: FieldProps) {
  const id = `f-${name}`;
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      <input
        id={id}
        name={name}
        type={type}
        value={value}
        required={required}
        autoComplete={autoComplete}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => onChange?.(e.target.value)}
        className={`block w-full rounded-md border px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 focus:ring-indigo-500 ${
          error ? "border-red-400" : "border-slate-300"
        }`}
      />
      {error ? (
        <p id={`${id}-error`} className="text-xs text-red-700">
          {error}
        </p>
      ) : hint ? (
        <p className="text-xs text-slate-500">{hint}</p>
      ) : null}
    </div>
  );
}
