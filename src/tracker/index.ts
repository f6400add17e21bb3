/** Trackers, both sides: the client (Announcer, scrape) and the server (startTracker). */
export { Announcer, scrape, UdpTrackerClient, systemClock } from './client/index.js';
export type { AnnouncerOptions, PeerFromTracker, TrackerStatus, ScrapeResult, ScrapeOptions, UdpClientOptions, Clock } from './client/index.js';
export { startTracker, SwarmStore, parseAllowList } from './server/index.js';
export type { RunningTracker, TrackerOptions, TrackerStats, StoreLimits } from './server/index.js';
