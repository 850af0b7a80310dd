// The server side of the console: the API server mounts serveConsole in front of its REST API.
export { serveConsole, assetFor, CONSOLE_PATH, BUNDLE_DIR, SECURITY_HEADERS, type AssetDecision } from './server/static-assets.js';
