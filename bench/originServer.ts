import http from 'node:http';

/**
 * The local HTTP origin every bench path serves: `/1k` answers 1 KiB, `/bytes/N` streams
 * N bytes. It runs as its own process so its CPU is not counted against any path.
 */
const port = Number(process.argv[2]);
const chunk = Buffer.alloc(256 * 1024, 'burrow-bench-');
const small = Buffer.alloc(1024, 'x');

const server = http.createServer((req, res) => {
  const m = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
  if (m) {
    let left = Number(m[1]);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(left) });
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(small.length) });
  res.end(small);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1');
