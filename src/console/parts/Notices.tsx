import { useEffect, useState } from 'preact/hooks';
import { dismiss, subscribeNotices, type Notice } from '../notices.js';

/** The outcome of every action, announced to screen readers as it appears. */
export function Notices() {
  const [all, setAll] = useState<Notice[]>([]);
  useEffect(() => subscribeNotices(setAll), []);
  return (
    <div class="notices" role="status" aria-live="polite">
      {all.map((n) => (
        <div key={n.id} class={`notice notice-${n.kind}`} data-kind={n.kind}>
          <span>{n.text}</span>
          <button type="button" class="link" aria-label="Dismiss message" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
