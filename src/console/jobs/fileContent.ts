/** A file the user picked, as base64 (how the jobs API carries bytes) and its SHA-256 in hex. */
export async function readPickedFile(file: File): Promise<{ base64: string; sha256: string }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  let binary = '';
  // In slices: String.fromCharCode with a whole large file would overflow the call stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { base64: btoa(binary), sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') };
}
