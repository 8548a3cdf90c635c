// The demo node's stand-in WebUI: one HTML page on a loopback port (argv[2]).
import http from 'node:http';

const port = Number(process.argv[2]);
const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>demo-node WebUI</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>This is the WebUI of the demo node</h1>
<p>You reached the local WebUI of <b>demo-node</b> (127.0.0.1:${port} on the node) through
burrow: browser &rarr; session port (TLS) &rarr; server &rarr; wss + SSH tunnel &rarr; node agent &rarr; this page.</p>
<p>Served at <span id="t"></span>.</p>
<script>document.getElementById('t').textContent = new Date().toString();</script>
</body></html>
`;
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page) });
  res.end(page);
});
server.listen(port, '127.0.0.1');
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
