/** What the stand-in server has served: tests count requests to prove files were not fetched twice. */
export class ServerStats {
  requests = 0;
  apiRequests = 0;
  pageRequests = 0;
  imageRequests = 0;
  rangeRequests = 0;
  /** Connections open now, and the most open at once (to check a client's per-host cap). */
  openConnections = 0;
  maxOpenConnections = 0;
  /** performance.now() at each request's arrival (the first million), to measure request rates. */
  readonly requestTimes: number[] = [];
  /** Every User-Agent seen. */
  readonly userAgents = new Set<string>();
  readonly #perImage = new Map<number, number>();
  readonly #statuses = new Map<number, number>();

  /** Requests seen for image `id` so far (every attempt, whatever the answer). */
  requestsFor(id: number): number {
    return this.#perImage.get(id) ?? 0;
  }

  /** @internal */
  countImage(id: number): number {
    const n = (this.#perImage.get(id) ?? 0) + 1;
    this.#perImage.set(id, n);
    this.imageRequests++;
    return n;
  }

  /** @internal */
  connectionOpened(): void {
    this.openConnections++;
    if (this.openConnections > this.maxOpenConnections) this.maxOpenConnections = this.openConnections;
  }

  /** @internal */
  countStatus(status: number): void {
    this.#statuses.set(status, (this.#statuses.get(status) ?? 0) + 1);
  }

  /** Responses sent, by status code. */
  statuses(): Record<number, number> {
    return Object.fromEntries(this.#statuses);
  }

  /** Image ids requested at least once. */
  imageIds(): number[] {
    return [...this.#perImage.keys()];
  }
}
