/**
 * Where a syslog exporter sends: `tcp://host:port`, `udp://host:port`, `tls://host:port`, or RELP (acknowledged, see
 * syslog-relp.ts) as `relp://host:port` or `relp+tls://host:port` (exporters.md `address`).
 */
export interface SyslogAddress {
  protocol: 'tcp' | 'udp' | 'tls' | 'relp' | 'relp+tls';
  /** Host name or IP address, IPv6 without brackets. */
  host: string;
  port: number;
}

const PROTOCOLS: readonly string[] = ['tcp', 'udp', 'tls', 'relp', 'relp+tls'];

/**
 * Parses an exporter's `address`. There is no default port: syslog's usual ones differ per protocol (514 UDP, 601 or
 * 514 TCP, 6514 TLS, 2514 RELP) and a silent guess would send alerts to the wrong listener. Throws a RangeError naming the address.
 */
export function parseSyslogAddress(address: string): SyslogAddress {
  const bad = (why: string): RangeError =>
    new RangeError(
      `syslog exporter address ${JSON.stringify(address)}: ${why} (expected tcp://host:port, udp://host:port, tls://host:port, relp://host:port or relp+tls://host:port)`,
    );
  const m = /^(tcp|udp|tls|relp|relp\+tls):\/\/(\[[0-9A-Fa-f:.]+\]|[^\s/:[\]@?#]+):(\d{1,5})$/.exec(address);
  if (!m) {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(address)?.[1];
    if (scheme && !PROTOCOLS.includes(scheme)) throw bad(`unknown protocol "${scheme}"`);
    throw bad('not a host and port');
  }
  const [, protocol, rawHost, rawPort] = m as unknown as [string, SyslogAddress['protocol'], string, string];
  const port = Number(rawPort);
  if (port < 1 || port > 65_535) throw bad(`port ${rawPort} is out of range 1-65535`);
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  return { protocol, host, port };
}

/** The address as the exporter's errors name it (host:port, brackets for IPv6). */
export function formatSyslogAddress(a: SyslogAddress): string {
  return `${a.protocol}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}
