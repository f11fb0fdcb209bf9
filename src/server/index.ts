/** The HTTP server, the only door into `server/`: listening, inbound auth, web-config, the request handler. */
export type { Credentials } from "./basic-auth.js";
export { createRequestHandler, type StatusView } from "./handler.js";
export { ListenError, type ListeningServer, listen } from "./http-server.js";
export { inboundCredentials } from "./inbound-auth.js";
export { parseListenAddress } from "./listen-address.js";
export { type ClientAuthType, loadWebConfig, type WebConfig, WebUsers } from "./web-config.js";
