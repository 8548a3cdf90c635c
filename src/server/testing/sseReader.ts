import assert from 'node:assert/strict';

/** One Server-Sent Events frame. */
export interface SseFrame {
  event: string;
  data: Record<string, unknown>;
}

/** A live event stream read one frame at a time. */
export interface SseReader {
  /** The next frame; rejects with "stream ended" once the server has closed the stream. */
  next(): Promise<SseFrame>;
  close(): void;
}

/** Opens `/v1/events` (or another SSE path) with a Bearer token and reads frames from it. */
export async function openSse(url: string, token: string): Promise<SseReader> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  assert.equal(res.status, 200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(): Promise<SseFrame> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const raw = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(raw)?.[1];
          const data = /^data: (.*)$/m.exec(raw)?.[1];
          if (event && data) return { event, data: JSON.parse(data) as Record<string, unknown> };
          continue;
        }
        const chunk = await reader.read();
        if (chunk.done) throw new Error('stream ended');
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    close: () => abort.abort(),
  };
}
