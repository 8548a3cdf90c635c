import { useState } from 'preact/hooks';

/**
 * Downloads from a node whose operator allowed file pulls: a file by its path, or a support
 * bundle. Plain links: the browser streams the download with the console's sign-in, and the
 * server audits each pull with its size and hash.
 */
export function NodeFiles(p: { nodeId: string; nodeName: string }) {
  const [path, setPath] = useState('');
  const base = `/v1/nodes/${encodeURIComponent(p.nodeId)}`;
  const valid = path.startsWith('/') && !path.split('/').includes('..');
  return (
    <>
      <h2>Files</h2>
      <form class="row" onSubmit={(e) => e.preventDefault()}>
        <label>
          Path on {p.nodeName}
          <input name="file-path" value={path} placeholder="/var/log/syslog" onInput={(e) => setPath(e.currentTarget.value)} />
        </label>
        {valid ? (
          <a class="button" href={`${base}/files?path=${encodeURIComponent(path)}`} download>
            Download file
          </a>
        ) : (
          <span class="muted">An absolute path within the directories its operator allowed.</span>
        )}
        <a class="button" href={`${base}/bundle`} download>
          Download support bundle
        </a>
      </form>
    </>
  );
}
