/**
 * Entry of the fresh child process that runs one contender once:
 *   node contender-entry.js <scenario module URL> <scenario id> <contender id> <params as JSON>
 * It reports one ChildMessage over IPC, then lets the process end by itself (a pool that keeps
 * the process alive shows up in the runner as a lingering child).
 */
import type { ChildMessage } from './child-protocol.js';
import { findScenario } from './find-scenario.js';
import { oneLine } from './one-line.js';

async function main(): Promise<ChildMessage> {
  const [moduleUrl, scenarioId, contenderId, paramsJson] = process.argv.slice(2);
  if (
    moduleUrl === undefined ||
    scenarioId === undefined ||
    contenderId === undefined ||
    paramsJson === undefined
  ) {
    return {
      type: 'error',
      message: 'usage: contender-entry.js <scenario module URL> <scenario id> <contender id> <params JSON>',
    };
  }
  try {
    const module = (await import(moduleUrl)) as Record<string, unknown>;
    const contender = findScenario(module, scenarioId)?.contenders.find((c) => c.id === contenderId);
    if (contender === undefined) {
      return { type: 'error', message: `no contender ${scenarioId}/${contenderId} in ${moduleUrl}` };
    }
    const sample = await contender.run(JSON.parse(paramsJson));
    return { type: 'result', sample };
  } catch (error) {
    return { type: 'error', message: oneLine(error) };
  }
}

const message = await main();
if (process.send === undefined) {
  console.log(JSON.stringify(message));
} else {
  process.send(message, () => process.disconnect());
}
