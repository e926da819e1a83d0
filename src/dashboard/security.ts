/**
 * The dashboard's safety rules. Bound to loopback it needs no login, but every POST carries the
 * page's token (which another site cannot read) and an Origin, if any, of the dashboard itself,
 * and the Host header must name the loopback address (no DNS rebinding). Bound to any other
 * address it refuses to start without a token, and then every request must present it (HTTP
 * Basic with the token as password, a Bearer header, or the x-taskmill-token header).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../core/errors.js';

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

export class DashboardSecurityError extends InvalidArgumentError {}

export interface Guard {
  /** The token POSTs must carry (the user's, or one made for this run on loopback). */
  readonly token: string;
  /** Whether every request must present the token (a non-loopback bind). */
  readonly loginRequired: boolean;
  /** Why a request may not be served, or undefined when it may. */
  refuse(request: IncomingMessage, port: number): { status: number; message: string } | undefined;
  /** For a state-changing request (POST): why not, or undefined. */
  refusePost(request: IncomingMessage, port: number): { status: number; message: string } | undefined;
}

export function makeGuard(host: string, token: string | undefined): Guard {
  const loopback = isLoopback(host);
  if (!loopback && (token === undefined || token === '')) {
    throw new DashboardSecurityError(
      `refusing to serve the dashboard on ${host} without a token: anyone who can reach that address could read job data and retry or remove jobs. ` +
        'Give --token <secret> (or $TASKMILL_DASHBOARD_TOKEN), or bind 127.0.0.1',
    );
  }
  if (token !== undefined && token.length < 8) {
    throw new DashboardSecurityError('the dashboard token must be at least 8 characters');
  }
  const secret = token ?? randomBytes(18).toString('base64url');
  const loginRequired = token !== undefined && token !== '';
  const matches = (given: string | undefined) => {
    if (given === undefined) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(secret);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const presented = (request: IncomingMessage): boolean => {
    const header = request.headers['x-taskmill-token'];
    if (typeof header === 'string' && matches(header)) return true;
    const auth = request.headers.authorization ?? '';
    if (auth.startsWith('Bearer ')) return matches(auth.slice(7).trim());
    if (auth.startsWith('Basic ')) {
      const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon >= 0 && matches(decoded.slice(colon + 1));
    }
    return false;
  };
  return {
    token: secret,
    loginRequired,
    refuse(request, port) {
      if (loopback && !loginRequired) {
        const hostHeader = (request.headers.host ?? '').toLowerCase();
        const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`];
        if (!allowed.includes(hostHeader)) {
          return {
            status: 421,
            message: `this dashboard answers only to ${allowed[0]} (Host was ${hostHeader || 'missing'})`,
          };
        }
        return undefined;
      }
      if (!presented(request))
        return {
          status: 401,
          message: 'this dashboard needs its token (HTTP Basic: any user, the token as password)',
        };
      return undefined;
    },
    refusePost(request, _port) {
      const origin = request.headers.origin;
      if (
        origin !== undefined &&
        origin !== `http://${request.headers.host}` &&
        origin !== `https://${request.headers.host}`
      ) {
        return { status: 403, message: `cross-origin request refused (Origin ${origin})` };
      }
      const site = request.headers['sec-fetch-site'];
      if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
        return { status: 403, message: `cross-site request refused (${site})` };
      }
      const header = request.headers['x-taskmill-token'];
      if (!(typeof header === 'string' && matches(header)) && !(loginRequired && presented(request))) {
        return {
          status: 403,
          message: 'missing or wrong x-taskmill-token: actions need the dashboard token',
        };
      }
      return undefined;
    },
  };
}
