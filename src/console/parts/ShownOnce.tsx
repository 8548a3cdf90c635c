import { notify } from '../notices.js';

/** A secret the server shows exactly once, with a copy button and a warning. */
export function ShownOnce(p: { title: string; value: string; extra?: string; onDone: () => void }) {
  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      notify('ok', 'Copied to the clipboard.');
    } catch {
      notify('error', 'The browser did not allow copying; select the text and copy it by hand.');
    }
  };
  return (
    <section class="once" aria-labelledby="once-title">
      <h3 id="once-title">{p.title}</h3>
      <p>This is shown only once. Store it now; the server keeps only a hash.</p>
      <code class="secret" data-testid="secret">
        {p.value}
      </code>
      <div class="row">
        <button type="button" onClick={() => void copy(p.value)}>
          Copy
        </button>
        {p.extra && (
          <button type="button" onClick={() => void copy(p.extra as string)}>
            Copy command
          </button>
        )}
        <button type="button" onClick={p.onDone}>
          Done
        </button>
      </div>
      {p.extra && <pre class="command">{p.extra}</pre>}
    </section>
  );
}
