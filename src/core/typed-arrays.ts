/** The typed-array classes by name (DataView is not one): the binary views a payload may carry. */
const TYPED_ARRAYS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;

export type TypedArrayClass = (typeof TYPED_ARRAYS)[keyof typeof TYPED_ARRAYS];

/** The typed-array class called `name` (its own name only, nothing from Object.prototype), or undefined. */
export function typedArrayClass(name: string): TypedArrayClass | undefined {
  return Object.hasOwn(TYPED_ARRAYS, name) ? TYPED_ARRAYS[name as keyof typeof TYPED_ARRAYS] : undefined;
}
