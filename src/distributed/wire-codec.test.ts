/** The wire codec: data in, the same data out; never code, never a prototype change. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPayloadSize, decodeValue, encodeValue } from './wire-codec.js';

const roundTrip = (value: unknown) => decodeValue(JSON.parse(JSON.stringify(encodeValue(value))));

describe('wire codec', () => {
  it('keeps JSON values as they are', () => {
    const value = { a: [1, 'two', true, null, { b: -3.5 }], empty: {}, list: [] };
    assert.deepEqual(encodeValue(value), value);
    assert.deepEqual(roundTrip(value), value);
  });

  it('carries binary, undefined, BigInt, Date, Map, Set and non-finite numbers', () => {
    const buffer = new ArrayBuffer(4);
    new Uint8Array(buffer).set([1, 2, 3, 4]);
    const value = [
      Buffer.from('hi'),
      new Int16Array([-1, 2]),
      buffer,
      undefined,
      10n ** 30n,
      new Date(0),
      new Map([[{ k: 1 }, new Set([1n])]]),
      -0,
      Number.NEGATIVE_INFINITY,
    ];
    const back = roundTrip(value) as unknown[];
    assert.deepEqual(back[0], Buffer.from('hi'));
    assert.deepEqual(back[1], new Int16Array([-1, 2]));
    assert.deepEqual(new Uint8Array(back[2] as ArrayBuffer), new Uint8Array([1, 2, 3, 4]));
    assert.equal(back[3], undefined);
    assert.equal(back[4], 10n ** 30n);
    assert.deepEqual(back[5], new Date(0));
    assert.deepEqual(back[6], new Map([[{ k: 1 }, new Set([1n])]]));
    assert.ok(Object.is(back[7], -0), `-0 came back as ${String(back[7])}`);
    assert.equal(back[8], Number.NEGATIVE_INFINITY);
    assert.ok(Object.is(roundTrip(0), 0));
  });

  it('refuses functions, symbols, class instances and cycles, naming where', () => {
    assert.throws(() => encodeValue({ a: { f: () => 1 } }, 'args'), /args\.a\.f is a function/);
    assert.throws(() => encodeValue([Symbol('x')], 'args'), /args\[0\] is a symbol/);
    class Thing {}
    assert.throws(() => encodeValue({ t: new Thing() }, 'args'), /args\.t is a Thing instance/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(() => encodeValue(cycle, 'args'), /cycle/);
  });

  it('a __proto__ or $tm key stays a plain key; decoding never changes a prototype', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "$tm": "date", "v": 1}');
    const back = roundTrip(hostile) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepEqual(Object.keys(back).sort(), ['$tm', '__proto__', 'v']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const raw = decodeValue(JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(raw), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses unknown tags and typed array names instead of guessing', () => {
    assert.throws(() => decodeValue({ $tm: 'function', v: 'return 1' }), /unknown tag "function"/);
    assert.throws(() => decodeValue({ $tm: 'typed', t: 'Function', v: '' }), /unknown typed array/);
  });

  it('checks the encoded size against a limit', () => {
    assert.doesNotThrow(() => checkPayloadSize(encodeValue([1, 'small']), 1024, 'args'));
    assert.throws(
      () => checkPayloadSize(encodeValue(['x'.repeat(2000)]), 1024, 'the arguments of t#x'),
      /the arguments of t#x take 2004 bytes encoded, over the limit of 1024/,
    );
  });
});
