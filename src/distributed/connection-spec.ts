/**
 * How a caller names a Redis server: a `redis://` / `rediss://` URL, or connection options as
 * ioredis takes them. A type of its own, free of ioredis, so that taskmill's public types
 * compile in a project that does not install the optional Redis packages.
 */
export type ConnectionSpec = string | Readonly<Record<string, unknown>>;
