/** The connecting client's address: Cloudflare's edge sets CF-Connecting-IP and overwrites any client copy. */
export function clientIp(request: Request): string {
  return request.headers.get("cf-connecting-ip") ?? "unknown";
}
