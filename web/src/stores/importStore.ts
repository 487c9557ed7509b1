// Keyword import: the chosen file, a local preview of its first lines, and the
// API's answer (the import report with its row errors, or a job for big files).
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { onSignedOut } from "./authStore";

/** Files above this go to S3 through a presigned PUT instead of the request body
 * (API Gateway caps request bodies near 4.4 MB once base64-encoded; upload
 * routes take 6 MB). */
export const DIRECT_MAX_BYTES = 4 * 1024 * 1024;

export interface Preview {
  /** The first lines split into cells, or null for binary files (XLSX). */
  rows: string[][] | null;
  encoding: string;
}

export interface ImportState {
  file: File | null;
  preview: Preview | null;
  report: Schemas["ImportReport"] | null;
  job: Schemas["Job"] | null;
  busy: boolean;
  error: ApiError | null;
  choose(file: File): Promise<void>;
  upload(scope: { siteId: string; sectorId: string }): Promise<void>;
  reset(): void;
}

function decode(bytes: Uint8Array): { text: string; encoding: string } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder("utf-16le").decode(bytes), encoding: "UTF-16 LE" };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder("utf-16be").decode(bytes), encoding: "UTF-16 BE" };
  return { text: new TextDecoder("utf-8").decode(bytes), encoding: "UTF-8" };
}

function splitLine(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === sep && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** The first `n` lines of a text file as cells (the server does the real parsing). */
export async function previewOf(file: File, n = 8): Promise<Preview> {
  const head = new Uint8Array(await file.slice(0, 64 * 1024).arrayBuffer());
  // XLSX (a zip) and other binaries: no text preview.
  if (head[0] === 0x50 && head[1] === 0x4b) return { rows: null, encoding: "binary (XLSX)" };
  const { text, encoding } = decode(head);
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/).filter((l) => l.trim() !== "").slice(0, n);
  const sep = lines.some((l) => l.includes("\t")) ? "\t" : ",";
  return { rows: lines.map((l) => splitLine(l, sep)), encoding };
}

function isJob(d: Schemas["Imported"]): d is Schemas["Job"] {
  return typeof (d as Schemas["Job"]).kind === "string" && typeof (d as Schemas["Job"]).status === "string";
}

export const useImportStore = create<ImportState>()((set, get) => ({
  file: null,
  preview: null,
  report: null,
  job: null,
  busy: false,
  error: null,
  async choose(file) {
    set({ file, preview: null, report: null, job: null, error: null });
    const preview = await previewOf(file);
    if (get().file === file) set({ preview });
  },
  async upload({ siteId, sectorId }) {
    const file = get().file;
    if (!file) return;
    set({ busy: true, error: null, report: null, job: null });
    try {
      let data: Schemas["Imported"];
      if (file.size > DIRECT_MAX_BYTES) {
        const { data: up } = await api.post("/api/v1/planner/keywords/bulk-import/upload-url", {
          body: { site_id: siteId, sector_id: sectorId, content_type: file.type || null },
        });
        const put = await fetch(up.upload_url, { method: up.method || "PUT", headers: up.headers, body: file });
        if (!put.ok) throw new ApiError(`The file upload failed (${put.status}).`, put.status, "UPLOAD_FAILED");
        ({ data } = await api.post("/api/v1/planner/keywords/bulk-import", {
          body: { site_id: siteId, sector_id: sectorId, object_key: up.object_key },
        }));
      } else {
        const form = new FormData();
        form.append("file", file, file.name);
        ({ data } = await api.post("/api/v1/planner/keywords/bulk-import", {
          query: { site_id: siteId, sector_id: sectorId },
          rawBody: form,
        }));
      }
      if (isJob(data)) set({ job: data });
      else set({ report: data });
    } catch (e) {
      set({ error: e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR") });
    } finally {
      set({ busy: false });
    }
  },
  reset() {
    set({ file: null, preview: null, report: null, job: null, error: null, busy: false });
  },
}));

// Nothing of one session's account is left for the next.
const initial = useImportStore.getState();
onSignedOut(() => useImportStore.setState(initial, true));
