/** One entry of an error's `details`: which input (`parameter`, `line`, `path` ...) and what was wrong. */
export type ErrorDetail = Record<string, unknown>;

/** An error answered as `{"error": {"code", "message", "details"}}` with `status` (api.md). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const errorBody = (code: string, message: string, details: ErrorDetail[] = []) => ({ error: { code, message, details } });

/** A bad query or path parameter. */
export const badParam = (parameter: string, message: string): ApiError =>
  new ApiError(400, 'invalid_parameter', `${parameter}: ${message}`, [{ parameter, message }]);
