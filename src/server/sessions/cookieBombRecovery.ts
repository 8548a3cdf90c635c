import type { OwnAnswer } from './ownAnswer.js';

/**
 * The script of the page a session port answers a too-large request head with. A page on
 * one session host can set cookies for the session domain (`document.cookie = "…; domain=…"`),
 * and the browser sends them to every other session host too: enough of them and every
 * request of every session in that browser, sessions opened later included, is too large
 * for the port. Cookies a script can set, a script can delete: when this host's visible
 * cookies are large, it expires each of them under every parent domain and path prefix
 * they may have been set for, and loads the page again. HttpOnly cookies (the session's
 * own, a WebUI's sign-in) are invisible to it and stay. A count in sessionStorage (three
 * tries a minute) keeps it from reloading in a loop when what is too large is not a cookie.
 */
const RECOVERY_SCRIPT = `(function () {
  var visible = document.cookie;
  if (visible.length < 4096) return;
  var key = 'burrow-cookie-recovery';
  var tries = JSON.parse(sessionStorage.getItem(key) || '{"n":0,"at":0}');
  if (Date.now() - tries.at > 60000) tries.n = 0;
  if (tries.n >= 3) return;
  tries = { n: tries.n + 1, at: Date.now() };
  sessionStorage.setItem(key, JSON.stringify(tries));
  var labels = location.hostname.split('.');
  var domains = [''];
  for (var i = 0; i < labels.length; i++) domains.push(labels.slice(i).join('.'));
  var paths = ['/'];
  var prefix = '';
  location.pathname.split('/').filter(Boolean).forEach(function (segment) {
    prefix += '/' + segment;
    paths.push(prefix, prefix + '/');
  });
  visible.split(';').forEach(function (pair) {
    var eq = pair.indexOf('=');
    var name = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    domains.forEach(function (d) {
      paths.forEach(function (path) {
        document.cookie = name + '=; Max-Age=0; path=' + path + '; secure' + (d ? '; domain=' + d : '');
      });
    });
  });
  // The browser applies document.cookie writes to its cookie store asynchronously: a reload
  // at once may still carry the old cookies. Wait a little, longer on each try.
  setTimeout(function () { location.reload(); }, 300 * tries.n);
})();`;

/** What a session port answers a request whose head is too large: 431, with the page that clears a cookie bomb. */
export const HEAD_TOO_LARGE: OwnAnswer = {
  status: 431,
  headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  body: `<!doctype html><title>431 Request Header Fields Too Large</title><h1>431 Request Header Fields Too Large</h1><p>The request's head is too large. If cookies made it so (a page of another session can set cookies every session host receives), this page clears those a page could set and loads again.</p><script>${RECOVERY_SCRIPT}</script>\n`,
};
