// Exit codes in one place (spec: 0 healthy, 1 a warning/critical finding, 2 usage or unreadable input).
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

/** An error the user can act on: printed as one line, exit 2, never a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_USAGE,
  ) {
    super(message);
    this.name = "UserError";
  }
}

/** One line for any error: user errors as they are, others with their message only. */
export function errorLine(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0] ?? String(err);
  return String(err);
}

/** A fault in tcpdoctor itself (not in its input): it must not be reported as the input's fault. */
export function isInternalError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError;
}
