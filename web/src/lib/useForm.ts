// Submitting a form to the API: the envelope's `error` for the banner, its
// field `errors` for the fields.
import { useState } from "react";
import { ApiError, type FieldErrors } from "../api";

export function useSubmit() {
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [fields, setFields] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  async function run(fn: () => Promise<void>) {
    setBusy(true);
    setError(null);
    setFields({});
    try {
      await fn();
    } catch (e) {
      if (e instanceof ApiError) {
        setError(e);
        setFields(e.fieldErrors);
      } else {
        setError(e as Error);
      }
    } finally {
      setBusy(false);
    }
  }
  return { error, fields, busy, run };
}
