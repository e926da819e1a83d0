/**
 * The dashboard's public entry: its server (and BullMQ with it) loads only when a dashboard
 * starts, so importing taskmill stays cheap.
 */
import { assertFeatureInstalled } from '../core/optional-packages.js';
import type { DashboardOptions } from './dashboard-options.js';
import type { Dashboard } from './server.js';

/**
 * Serves the live dashboard in this process: Redis queues (with `connection`), their workers
 * and jobs, and local pools that join with `pool.expose({ dashboard })`; Prometheus metrics at
 * /metrics. Bound to 127.0.0.1 unless `host` says otherwise (then `token` is required).
 */
export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  assertFeatureInstalled('dashboard');
  const { startDashboard: start } = await import('./server.js');
  return start(options);
}
