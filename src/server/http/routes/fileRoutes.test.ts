import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { attachment } from './fileRoutes.js';

/** The exact name a client reads back from filename*. */
function exactName(header: string): string {
  const star = /filename\*=UTF-8''([^;]*)/.exec(header)?.[1];
  assert.ok(star !== undefined, header);
  return decodeURIComponent(star);
}

describe('attachment', () => {
  it('names a long file whose 200th character is outside the BMP without breaking it', () => {
    // Legal on Linux (203 bytes): cutting between the halves of the emoji threw URIError,
    // and the pull answered 500 after the node had started sending.
    const name = `${'a'.repeat(199)}\u{1F600}.log`;
    const header = attachment(name);
    assert.equal(exactName(header), `${'a'.repeat(199)}\u{1F600}`);
  });

  it('never proposes an empty, "." or ".." name', () => {
    for (const name of ['', '.', '..']) {
      const header = attachment(name);
      assert.match(header, /filename="download"/, header);
      assert.equal(exactName(header), 'download');
    }
  });

  it('keeps an ordinary name and its unicode', () => {
    const header = attachment('Grüße.txt');
    assert.match(header, /filename="Gr__e.txt"/);
    assert.equal(exactName(header), 'Grüße.txt');
  });
});
