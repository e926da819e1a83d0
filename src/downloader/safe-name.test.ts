import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOSTILE_NAMES } from '../gallery-server/hostile-names.js';
import { MAX_NAME_BYTES, NameRegistry, nameFromUrl, sanitizeFileName, truncateUtf8 } from './safe-name.js';

describe('safe file names', () => {
  it('turns every hostile name into one harmless path component', () => {
    for (const hostile of HOSTILE_NAMES) {
      const name = sanitizeFileName(hostile);
      assert.ok(name.length > 0, `empty name for ${JSON.stringify(hostile.slice(0, 20))}`);
      assert.ok(!name.includes('/') && !name.includes('\\') && !name.includes('\0'), name);
      assert.ok(!name.startsWith('.'), name);
      assert.ok(![...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), name);
      assert.ok(Buffer.byteLength(name) <= MAX_NAME_BYTES, `${Buffer.byteLength(name)} bytes`);
      assert.ok(!name.toLowerCase().endsWith('.part'), name);
    }
  });

  it('limits length in bytes, keeps the extension, and never splits a character', () => {
    const name = sanitizeFileName(`${'\u00e9'.repeat(5000)}.jpg`);
    assert.ok(name.endsWith('.jpg'));
    assert.ok(Buffer.byteLength(name) <= MAX_NAME_BYTES);
    assert.equal(truncateUtf8('a\u00e9', 2), 'a');
    assert.equal(truncateUtf8('😀😀', 5), '😀');
  });

  it('takes names from URLs, decoding percent-escapes before sanitizing', () => {
    assert.equal(nameFromUrl('http://h/i/3.jpg'), '3.jpg');
    assert.equal(nameFromUrl('http://h/i/7/..%2F..%2Fx.jpg'), '.._.._x.jpg'.replace(/^\.+/, ''));
    assert.equal(nameFromUrl('http://h/i/1/%2Fetc%2Fx.jpg'), '_etc_x.jpg');
    assert.equal(nameFromUrl('http://h/'), 'file');
    assert.equal(nameFromUrl('http://h/bad%E0%A4'), 'bad%E0%A4');
  });

  it('de-duplicates colliding names, ignoring case, in input order', () => {
    const registry = new NameRegistry();
    const names = ['a.jpg', 'A.JPG', 'a.jpg', 'a-2.jpg', 'Case', 'case'].map((n) => registry.claim(n));
    assert.deepEqual(names, ['a.jpg', 'A-2.JPG', 'a-3.jpg', 'a-2-2.jpg', 'Case', 'case-2']);
    const lower = new Set(names.map((n) => n.toLowerCase()));
    assert.equal(lower.size, names.length);
  });
});
