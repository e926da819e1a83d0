/** Finds scenarios among a module's exports: `scenario`, or any export (or list/record of them) shaped like one. */
import type { Scenario } from './types.js';

export function isScenario(value: unknown): value is Scenario<unknown> & { moduleUrl?: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as Scenario<unknown>).contenders) &&
    typeof (value as Scenario<unknown>).params === 'function' &&
    typeof (value as Scenario<unknown>).id === 'string'
  );
}

export function scenariosIn(module: Record<string, unknown>): Scenario<unknown>[] {
  const found: Scenario<unknown>[] = [];
  for (const value of Object.values(module)) {
    if (isScenario(value)) found.push(value);
    else if (Array.isArray(value)) found.push(...value.filter(isScenario));
    else if (value !== null && typeof value === 'object')
      found.push(...Object.values(value).filter(isScenario));
  }
  return found;
}

export function findScenario(module: Record<string, unknown>, id: string): Scenario<unknown> | undefined {
  return scenariosIn(module).find((s) => s.id === id);
}
