import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorText } from '../api.js';
import { parseCast, type Cast } from '../terminal/asciicast.js';
import { CastPlayer, type PlayerState } from '../terminal/castPlayer.js';
import { useXterm } from '../terminal/useXterm.js';

/** Fetches a recording's asciicast text; failures come back in the API's words. */
async function fetchCast(id: string): Promise<Cast> {
  const res = await fetch(`/v1/recordings/${encodeURIComponent(id)}`, { credentials: 'same-origin' }).catch(() => {
    throw new ApiError('NETWORK', 'Cannot reach the burrow server. Check the connection and try again.', 0);
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    throw new ApiError(body.error?.code ?? 'UNEXPECTED', body.error?.message ?? `The server gave an unexpected answer (HTTP ${res.status}).`, res.status);
  }
  return parseCast(await res.text());
}

const SPEEDS = [1, 2, 4, 8];

/** Replays a recorded terminal session with its timing: play, pause, speed, skip to the end. */
export function ReplayPage(p: { id: string }) {
  const box = useRef<HTMLDivElement>(null);
  const player = useRef<CastPlayer>(undefined);
  const [cast, setCast] = useState<Cast>();
  const [error, setError] = useState<string>();
  const [state, setState] = useState<PlayerState>({ playing: false, done: false, at: 0 });
  const [speed, setSpeed] = useState(1);
  const { view: v, failed } = useXterm(box, { disableStdin: true, cursorBlink: false }, { follow: false });
  const problem = error ?? failed;

  useEffect(() => {
    if (!v) return;
    let stopped = false;
    fetchCast(p.id)
      .then((c) => {
        if (stopped) return;
        setCast(c);
        player.current = new CastPlayer(c, v.term, setState);
        player.current.play();
      })
      .catch((err: unknown) => setError(errorText(err)));
    return () => {
      stopped = true;
      player.current?.dispose();
    };
  }, [p.id, v]);

  const changeSpeed = (s: number) => {
    setSpeed(s);
    player.current?.setSpeed(s);
  };

  return (
    <section class="terminal-page">
      <p>
        <a href="#/audit">← Audit log</a>
      </p>
      <h1 tabIndex={-1}>Replay of {cast?.title ?? p.id}</h1>
      {problem && (
        <p class="error-text" role="alert">
          Could not replay this recording: {problem}
        </p>
      )}
      {cast && (
        <div class="row term-bar">
          <span role="status">
            {state.done ? 'Finished' : state.playing ? 'Playing' : 'Paused'} · {state.at.toFixed(1)} s of {cast.duration.toFixed(1)} s
          </span>
          {state.playing ? (
            <button type="button" onClick={() => player.current?.pause()}>
              Pause
            </button>
          ) : (
            <button type="button" class="primary" onClick={() => player.current?.play()}>
              {state.done ? 'Play again' : 'Play'}
            </button>
          )}
          <button type="button" disabled={state.done} onClick={() => player.current?.skipToEnd()}>
            Skip to end
          </button>
          <label class="check">
            Speed
            <select value={String(speed)} onChange={(e) => changeSpeed(Number(e.currentTarget.value))}>
              {SPEEDS.map((s) => (
                <option key={s} value={String(s)}>
                  {s}×
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      <div class="term-frame term-fixed">
        <div class="term-box" ref={box} data-testid="replay" />
      </div>
    </section>
  );
}
