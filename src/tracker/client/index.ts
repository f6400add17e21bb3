export { Announcer, type AnnouncerOptions, type PeerFromTracker, type TrackerStatus } from './announcer.js';
export { scrape, type ScrapeResult, type ScrapeOptions } from './scrape.js';
export { UdpTrackerClient, type UdpClientOptions } from './udp.js';
export { httpAnnounce, httpScrape } from './http.js';
export { systemClock, type Clock } from './clock.js';
