/** How often a supervised worker process tells its supervisor it is alive (its event loop turns). */
export const BEAT_MS = 250;
