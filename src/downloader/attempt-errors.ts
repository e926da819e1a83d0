/** Turns what an attempt threw (undici, file system, our own checks) into an AttemptError. */
import { AttemptError } from './errors.js';

const RETRYABLE_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

const FILESYSTEM = new Set([
  'EACCES',
  'EPERM',
  'ENOSPC',
  'EROFS',
  'EISDIR',
  'ENOTDIR',
  'EDQUOT',
  'ELOOP',
  'EMFILE',
]);

export function classifyError(error: unknown): AttemptError {
  if (error instanceof AttemptError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  // UND_ERR_DESTROYED: the run was abandoned and its Agent destroyed (the .part stays for a resume).
  if (
    name === 'AbortError' ||
    code === 'ABORT_ERR' ||
    code === 'UND_ERR_ABORTED' ||
    code === 'UND_ERR_DESTROYED' ||
    // The task was cancelled (an interrupted run): undici rejects with the signal's reason.
    code === 'ERR_TASKMILL_ABORTED'
  ) {
    return new AttemptError('ERR_ABORTED', 'cancelled', { retryable: false, cause: error });
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new AttemptError('ERR_CONNECT_TIMEOUT', `connect timeout: ${message}`, {
      retryable: true,
      cause: error,
    });
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new AttemptError('ERR_IDLE_TIMEOUT', `idle timeout: the server went silent (${message})`, {
      retryable: true,
      cause: error,
    });
  }
  if (typeof code === 'string' && RETRYABLE_NETWORK.has(code)) {
    const what =
      code === 'ECONNREFUSED'
        ? 'connection refused'
        : code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_SOCKET'
          ? 'connection lost mid-response'
          : 'network error';
    return new AttemptError('ERR_CONNECTION', `${what} (${code}): ${message}`, {
      retryable: true,
      cause: error,
    });
  }
  if (code === 'ENOTFOUND') {
    return new AttemptError('ERR_DNS', `host not found: ${message}`, { retryable: false, cause: error });
  }
  if (typeof code === 'string' && FILESYSTEM.has(code)) {
    return new AttemptError('ERR_FILESYSTEM', `cannot write the file (${code}): ${message}`, {
      retryable: false,
      cause: error,
    });
  }
  if (code === 'ERR_UNSAFE_PATH') {
    return new AttemptError('ERR_UNSAFE_PATH', message, { retryable: false, cause: error });
  }
  return new AttemptError(typeof code === 'string' ? code : 'ERR_UNKNOWN', message, {
    retryable: false,
    cause: error,
  });
}
