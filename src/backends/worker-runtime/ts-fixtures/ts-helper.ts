export interface Shape {
  readonly kind: 'square' | 'circle';
  readonly size: number;
}

export function label(shape: Shape): string {
  return `${shape.kind}:${shape.size}`;
}
