/** Child-process entry of server-process.ts: starts the server, reports its URL and CPU over IPC. */
import { startGalleryServer } from './server.js';

const options = JSON.parse(process.argv[2] ?? '{}') as Parameters<typeof startGalleryServer>[0];
try {
  const server = await startGalleryServer(options);
  process.send?.({ type: 'ready', url: server.url });
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'cpu') {
      const usage = process.cpuUsage();
      process.send?.({ type: 'cpu', seconds: (usage.user + usage.system) / 1e6 });
    }
  });
  process.on('disconnect', () => {
    void server.close().then(() => process.exit(0));
  });
} catch (error) {
  process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
