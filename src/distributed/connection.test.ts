/** Connection URLs: what is parsed from them, and that passwords never show. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../core/errors.js';
import { describeConnection, parseRedisUrl, redactText, redactUrl, redisOptions } from './connection.js';

describe('redis connection settings', () => {
  it('parses host, port, ACL user, password (percent-decoded) and database', () => {
    const options = parseRedisUrl('redis://app:p%40ss%3Aword@cache.internal:6380/3');
    assert.equal(options.host, 'cache.internal');
    assert.equal(options.port, 6380);
    assert.equal(options.username, 'app');
    assert.equal(options.password, 'p@ss:word');
    assert.equal(options.db, 3);
    assert.equal(options.tls, undefined);
  });

  it('rediss:// turns TLS on; options given beside the URL win', () => {
    assert.deepEqual(parseRedisUrl('rediss://h:1').tls, { servername: 'h', rejectUnauthorized: true });
    // SNI is for host names: an IP address is not sent as the server name (DEP0123).
    assert.deepEqual(parseRedisUrl('rediss://127.0.0.1:1').tls, { rejectUnauthorized: true });
    assert.deepEqual(parseRedisUrl('rediss://[::1]:1').tls, { rejectUnauthorized: true });
    const options = redisOptions({ url: 'rediss://:pw@h:1', tls: { ca: 'PEM' } });
    assert.deepEqual(options.tls, { ca: 'PEM' });
    assert.equal(options.password, 'pw');
    assert.equal(options.maxRetriesPerRequest, null);
  });

  it('refuses what is not a redis URL, without echoing a password', () => {
    assert.throws(
      () => parseRedisUrl('http://u:secret@h'),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /must start with redis:\/\/ \(or rediss:\/\/ for TLS\)/.test(e.message) &&
        e.message.includes('http://u:***@h') &&
        !e.message.includes('secret'),
    );
    assert.throws(() => parseRedisUrl('redis://h/x'), /database/);
  });

  it('never shows a password', () => {
    assert.equal(redactUrl('redis://app:secret@h:6379/0'), 'redis://app:***@h:6379/0');
    assert.equal(redactUrl('redis://:secret@h'), 'redis://:***@h');
    const options = parseRedisUrl('redis://app:secret@h:1');
    assert.equal(describeConnection(options), 'redis://app:***@h:1/0');
    assert.equal(
      redactText('failed: redis://x:secret@h and secret again', options),
      'failed: redis://x:***@h and *** again',
    );
  });
});
