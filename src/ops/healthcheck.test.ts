import { describe, expect, it } from 'vitest';
import { probeHost, serverArguments } from './healthcheck.js';

describe('serverArguments', () => {
  it('takes the words after tskv.js, whether node or an init runs first', () => {
    expect(serverArguments('node\x00dist/tskv.js\x00--bind\x000.0.0.0\x00/etc/tskv/tskv.conf\x00')).toEqual(['--bind', '0.0.0.0', '/etc/tskv/tskv.conf']);
    expect(serverArguments('/sbin/docker-init\x00--\x00node\x00/app/dist/tskv.js\x00--port\x007000\x00')).toEqual(['--port', '7000']);
    expect(serverArguments('node\x00dist/tskv.js\x00')).toEqual([]);
    expect(serverArguments('/bin/sh\x00-c\x00sleep 1\x00')).toBeUndefined();
  });
});

describe('probeHost', () => {
  it('uses loopback when the server listens there or everywhere, else its first address', () => {
    expect(probeHost(['0.0.0.0'])).toBe('127.0.0.1');
    expect(probeHost(['10.0.0.5', '127.0.0.1'])).toBe('127.0.0.1');
    expect(probeHost(['::'])).toBe('::1');
    expect(probeHost(['10.0.0.5'])).toBe('10.0.0.5');
  });
});
