/** What a page shows before its data arrives, or when loading failed. */
export function PageState(p: { error: string | undefined; loading: boolean }) {
  if (p.error) return <p class="error-text" role="alert">Could not load this page: {p.error}</p>;
  if (p.loading) return <p class="muted">Loading…</p>;
  return null;
}
