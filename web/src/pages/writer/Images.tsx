// The image gallery (/writer/images): every generated image of the site
// (presigned URLs, which expire: the list is fetched again on each visit),
// each with its article and "set as featured" (editors and above).
import { useEffect } from "react";
import { Link } from "react-router";
import { ErrorBanner } from "../../components/Errors";
import { hasRole, useAuthStore } from "../../stores/authStore";
import { useImagesStore } from "../../stores/imagesStore";
import { useSiteStore } from "../../stores/siteStore";

export default function Images() {
  const siteId = useSiteStore((s) => s.siteId);
  const { images, next, loading, error, note, load, setFeatured } = useImagesStore();
  const canEdit = hasRole(useAuthStore((s) => s.user?.role), "editor");
  useEffect(() => {
    if (siteId) void load(siteId);
  }, [siteId, load]);
  if (!siteId) return <p className="text-sm text-slate-600">Choose a site in the header first.</p>;
  return (
    <section className="space-y-4">
      <h1 className="text-xl font-semibold">Images</h1>
      <ErrorBanner error={error} />
      {note ? (
        <p role="status" className="text-sm text-green-800">
          {note}
        </p>
      ) : null}
      {!loading && images.length === 0 ? <p className="text-sm text-slate-600">No images yet: write image prompts for an article, then generate its images.</p> : null}
      <ul aria-label="Image gallery" className="grid grid-cols-2 gap-4 md:grid-cols-3 xl:grid-cols-4">
        {images.map((img) => (
          <li key={img.id} className="space-y-1 rounded-lg border border-slate-200 bg-white p-2 text-xs">
            <img src={img.url} alt={img.alt_text} width={img.width} height={img.height} loading="lazy" className="h-auto w-full rounded bg-slate-100" />
            <p className="line-clamp-2 text-slate-800" title={img.prompt}>
              {img.prompt}
            </p>
            <p className="text-slate-600">
              {img.kind === "featured" ? "Featured slot" : `Section ${img.position}`} · {img.width}×{img.height} · {img.cost} credits
            </p>
            <div className="flex items-center justify-between gap-2">
              <Link to={`/writer/content/${img.content_id}`} className="text-indigo-800 underline">
                Open article
              </Link>
              {canEdit ? (
                <button type="button" onClick={() => void setFeatured(siteId, img)} className="rounded border border-slate-300 px-2 py-0.5">
                  Set as featured
                </button>
              ) : null}
            </div>
          </li>
        ))}
      </ul>
      {next ? (
        <button type="button" onClick={() => void load(siteId, true)} className="rounded-md border border-slate-300 px-3 py-1 text-sm">
          Load more
        </button>
      ) : null}
    </section>
  );
}
