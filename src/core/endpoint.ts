// "ip:port" as tools print it: IPv6 addresses in brackets so the port stays unambiguous.
export function endpoint(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
