/** Previous/next paging with a position readout. */
export function Pager(p: { page: number; pages: number; total: number; onPage: (page: number) => void; label: string }) {
  return (
    <nav class="pager" aria-label={`${p.label} pages`}>
      <button type="button" disabled={p.page <= 0} onClick={() => p.onPage(p.page - 1)}>
        Previous
      </button>
      <span>
        Page {p.page + 1} of {Math.max(1, p.pages)} ({p.total} {p.label})
      </span>
      <button type="button" disabled={p.page >= p.pages - 1} onClick={() => p.onPage(p.page + 1)}>
        Next
      </button>
    </nav>
  );
}
