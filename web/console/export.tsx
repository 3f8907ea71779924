// CSV export: every page of a list route (waiting when the admin's rate limit is reached), then
// a file the browser downloads, with a byte-order mark so spreadsheet programs read UTF-8.
import { useAction } from "./components";
import { collectPages, csvFilename, rateLimitRetry } from "./csv";

/** The most rows one export collects (a hundred pages). */
export const EXPORT_MAX = 10_000;

function saveCsv(text: string, filename: string): void {
  const url = URL.createObjectURL(new Blob(["\ufeff", text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** "Export CSV": collects every page with progress, then downloads `tollgate-<noun>-<day>.csv`. */
export function ExportButton<T>({
  noun,
  fetchPage,
  toCsv,
}: {
  noun: string;
  fetchPage: (cursor: string | null) => Promise<{ data: T[]; next_cursor: string | null }>;
  toCsv: (items: T[]) => string;
}) {
  const action = useAction();
  const run = () =>
    action.run("export", async (say) => {
      say(`Collecting ${noun}…`);
      const { items, truncated } = await collectPages(fetchPage, {
        max: EXPORT_MAX,
        onPage: (n) => say(`Collected ${n} ${noun}…`),
        retryDelay: rateLimitRetry,
        wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      });
      saveCsv(toCsv(items), csvFilename(noun, Date.now()));
      const cut = truncated
        ? ` (the newest ${EXPORT_MAX} only: narrow the filters for the rest)`
        : "";
      return `Exported ${items.length} ${noun}${cut}.`;
    });
  return (
    <div class="export">
      <button type="button" onClick={() => void run()} disabled={action.busy !== null}>
        {action.busy ? "Exporting…" : "Export CSV"}
      </button>
      {action.status}
    </div>
  );
}
