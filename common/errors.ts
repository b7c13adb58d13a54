// An error a person can cause (missing file, corrupt image, bad flag). The CLI prints it as
// one clear message (where, what, what to do) with no stack trace. It lives in the
// module below every phase (common/) so that grammar, compiler and runtime all throw it.
export class UserError extends Error {
  /** Where the problem is: a file path, `file:line:col`, a flag. */
  readonly where?: string;
  /** What to do about it. */
  readonly hint?: string;
  /** 1 for problems with inputs (pipelines, data, runs), 2 for usage errors. */
  readonly exitCode: 1 | 2;

  constructor(message: string, options: { where?: string; hint?: string; exitCode?: 1 | 2; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.where = options.where;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
