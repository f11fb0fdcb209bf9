/** OAuth2 client authentication at a token endpoint (RFC 6749 §2.3.1), shared by the CF login and scrape authenticators. */
export {
  applyClientAuth,
  basicClientAuthorization,
  CLIENT_AUTH_SETTINGS,
  ClientAuthChoice,
  type ClientAuthMethod,
  type ClientAuthSetting,
  isInvalidClient,
} from "./client-auth.js";
