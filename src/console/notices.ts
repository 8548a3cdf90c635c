/** One outcome shown to the user: every action reports success or failure in words. */
export interface Notice {
  id: number;
  kind: 'ok' | 'error' | 'info';
  text: string;
}

type Listener = (all: Notice[]) => void;
let notices: Notice[] = [];
let nextId = 1;
const listeners = new Set<Listener>();

function publish(): void {
  for (const l of listeners) l(notices);
}

/** Shows an outcome; successes fade after a few seconds, errors stay until dismissed. */
export function notify(kind: Notice['kind'], text: string): void {
  const n = { id: nextId++, kind, text };
  notices = [...notices.slice(-4), n];
  publish();
  if (kind !== 'error') setTimeout(() => dismiss(n.id), 8000);
}

/** Removes one notice. */
export function dismiss(id: number): void {
  notices = notices.filter((n) => n.id !== id);
  publish();
}

/** Follows the list of notices. */
export function subscribeNotices(l: Listener): () => void {
  listeners.add(l);
  l(notices);
  return () => listeners.delete(l);
}
