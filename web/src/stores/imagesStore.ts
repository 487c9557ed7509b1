// The image gallery (/writer/images): the site's generated images with their
// presigned URLs, and "set featured" on an image's article.
import { create } from "zustand";
import { ApiError, api, type Schemas } from "../api";
import { onSignedOut } from "./authStore";
import { latestOnly } from "./latest";

export interface ImagesState {
  images: Schemas["ImageView"][];
  next: string | null;
  loading: boolean;
  error: ApiError | null;
  note: string | null;
  load(siteId: string, more?: boolean): Promise<void>;
  setFeatured(siteId: string, image: Schemas["ImageView"]): Promise<void>;
}

const read = latestOnly();

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError((e as Error).message, 0, "CLIENT_ERROR"));

export const useImagesStore = create<ImagesState>()((set, get) => ({
  images: [],
  next: null,
  loading: false,
  error: null,
  note: null,
  async load(siteId, more = false) {
    const current = read();
    set({ loading: true, error: null });
    try {
      const { data } = await api.get("/api/v1/writer/images", { query: { site_id: siteId, limit: 48, cursor: more ? (get().next ?? undefined) : undefined } });
      if (!current()) return;
      set({ images: more ? [...get().images, ...data.results] : data.results, next: data.next_cursor });
    } catch (e) {
      if (current()) set({ error: asApiError(e) });
    } finally {
      if (current()) set({ loading: false });
    }
  },
  async setFeatured(siteId, image) {
    set({ error: null, note: null });
    try {
      const { data } = await api.post("/api/v1/writer/images/{id}/set-featured", { path: { id: image.id }, query: { site_id: siteId }, body: { site_id: siteId } });
      set({ note: `Featured image of “${data.title}” set.` });
    } catch (e) {
      set({ error: asApiError(e) });
    }
  },
}));

const initial = useImagesStore.getState();
onSignedOut(() => useImagesStore.setState(initial, true));
