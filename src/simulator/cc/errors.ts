/** Cloud Controller v3 error bodies (`{"errors":[...]}`) with the titles and codes of errors/v3.yml. */
export interface CcError {
  status: number;
  title: string;
  code: number;
  detail: string;
}

export class CcRequestError extends Error {
  constructor(readonly error: CcError) {
    super(error.detail);
  }
}

export const ccErrors = {
  invalidAuthToken: (): CcError => ({
    status: 401,
    title: "CF-InvalidAuthToken",
    code: 1000,
    detail: "Invalid Auth Token",
  }),
  notAuthenticated: (): CcError => ({
    status: 401,
    title: "CF-NotAuthenticated",
    code: 10002,
    detail: "Authentication error",
  }),
  notFound: (): CcError => ({ status: 404, title: "CF-NotFound", code: 10000, detail: "Unknown request" }),
  resourceNotFound: (what: string): CcError => ({
    status: 404,
    title: "CF-ResourceNotFound",
    code: 10010,
    detail: `${what} not found`,
  }),
  badQueryParameter: (messages: string[]): CcError => ({
    status: 400,
    title: "CF-BadQueryParameter",
    code: 10005,
    detail: `The query parameter is invalid: ${messages.join(", ")}`,
  }),
  rateLimitExceeded: (authenticated: boolean): CcError =>
    authenticated
      ? { status: 429, title: "CF-RateLimitExceeded", code: 10013, detail: "Rate Limit Exceeded" }
      : {
          status: 429,
          title: "CF-IPBasedRateLimitExceeded",
          code: 10014,
          detail:
            "Rate Limit Exceeded: Unauthenticated requests from this IP address have exceeded the limit. Please log in.",
        },
  serviceUnavailable: (): CcError => ({
    status: 503,
    title: "CF-ServiceUnavailable",
    code: 10015,
    detail: "Database connection failure",
  }),
  unknown: (status = 500): CcError => ({
    status,
    title: "UnknownError",
    code: 10001,
    detail: "An unknown error occurred.",
  }),
};

export function errorBody(error: CcError): { errors: { detail: string; title: string; code: number }[] } {
  return { errors: [{ detail: error.detail, title: error.title, code: error.code }] };
}
