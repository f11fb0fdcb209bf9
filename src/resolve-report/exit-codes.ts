/** Exit codes of `promregator check-config --resolve`; 2 (configuration error) is the CLI's own. Kept free of imports so --help stays fast. */
export const EXIT_OK = 0;
/** Cloud Controller unreachable, login failed, or the Cloud Controller failed for a target. */
export const EXIT_CF_FAILURE = 1;
/** --strict only: a configured target matched no app instance, or nothing at all would be scraped. */
export const EXIT_STRICT_EMPTY = 3;
