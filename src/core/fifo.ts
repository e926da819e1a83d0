/** A first-in first-out queue with O(1) push and shift and removal by marking. */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#size++;
  }

  /** The oldest item, or undefined when empty. */
  shift(): T | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head];
      this.#items[this.#head++] = undefined;
      if (item !== undefined) {
        this.#size--;
        this.#compact();
        return item;
      }
    }
    return undefined;
  }

  /** Removes one item (O(n)); returns whether it was there. */
  remove(item: T): boolean {
    const at = this.#items.indexOf(item, this.#head);
    if (at < 0) return false;
    this.#items[at] = undefined;
    this.#size--;
    return true;
  }

  /** Removes and returns every item. */
  drain(): T[] {
    const out: T[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i];
      if (item !== undefined) out.push(item);
    }
    this.#items = [];
    this.#head = 0;
    this.#size = 0;
    return out;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
