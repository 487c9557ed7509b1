// "Write article" on a task card: the cost first, then the generate_content
// job in the ProgressModal, then the article it wrote opens in the editor.
import { useNavigate } from "react-router";
import { api } from "../../api";
import { AiAction } from "../../components/AiAction";
import { resultField } from "../../lib/jobs";
import { useJobsStore } from "../../stores/jobsStore";
import type { Task } from "../../stores/tasksStore";

/** Tasks the API lets generate (not published, not cancelled). */
export const canWrite = (t: Task) => t.status !== "published" && t.status !== "cancelled";

export function WriteArticle({ task, siteId, onDone }: { task: Task; siteId: string; onDone?: () => void }) {
  const navigate = useNavigate();
  return (
    <AiAction
      label="Write article"
      what={`Write “${task.title}”`}
      submit={async (dry) => (await api.post("/api/v1/planner/tasks/{id}/generate", { path: { id: task.id }, body: { site_id: siteId, dry_run: dry } })).data}
      onFinished={(job) => {
        onDone?.();
        const id = job.status === "completed" ? resultField(job, "content_id") : null;
        if (id) {
          useJobsStore.getState().close();
          navigate(`/writer/content/${id}`);
        }
      }}
    />
  );
}
