// Client certificate (mutual TLS) -> the names a configured user may be matched by: the subject CN, or the
// subject alternative names (DNS, email, URI), as `security.certificateIdentity` says. Works on the object
// Node's `tls.TLSSocket.getPeerCertificate()` returns; only certificates the TLS layer verified count.
import type { PeerCertificate, TLSSocket } from 'node:tls'

export type CertificateIdentityMode = 'cn' | 'san'

/** The shape used from a peer certificate (an empty object when the client sent none). */
export type PeerCertificateLike = Partial<Pick<PeerCertificate, 'subject' | 'subjectaltname'>>

const SAN_TYPES: ReadonlySet<string> = new Set(['DNS', 'email', 'URI'])

/**
 * The names in a certificate that may identify a user. `cn`: the subject CN (none when the subject has
 * several CNs: ambiguous). `san`: every DNS, email and URI subject alternative name; IP addresses are
 * never identities.
 */
export function certificateIdentities(cert: PeerCertificateLike, mode: CertificateIdentityMode): string[] {
  if (mode === 'cn') {
    const cn = (cert.subject as Record<string, unknown> | undefined)?.['CN']
    return typeof cn === 'string' && cn.length > 0 ? [cn] : []
  }
  return parseSubjectAltName(cert.subjectaltname ?? '')
    .filter((e) => SAN_TYPES.has(e.type) && e.value.length > 0)
    .map((e) => e.value)
}

/**
 * The identities of a TLS peer, or [] when it sent no certificate or the certificate did not verify
 * against the configured CA (`socket.authorized`): with `clientCertificates: optional` an unverified
 * certificate reaches us and must not count.
 */
export function peerCertificateIdentities(socket: TLSSocket, mode: CertificateIdentityMode): string[] {
  if (!socket.authorized) return []
  return certificateIdentities(socket.getPeerCertificate(), mode)
}

/**
 * Node's `subjectaltname` string: `DNS:a.example, email:x@y, URI:urn:x`. Since Node 17.3.1 / 16.13.2 a
 * value with a comma, quote or other special character is written as a JSON string, so a crafted SAN
 * cannot forge a second entry (CVE-2021-44532).
 */
function parseSubjectAltName(text: string): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = []
  let i = 0
  while (i < text.length) {
    const colon = text.indexOf(':', i)
    if (colon === -1) break
    const type = text.slice(i, colon).trim()
    let value: string
    let next: number
    if (text[colon + 1] === '"') {
      // A JSON string: find its closing quote, skipping escaped characters.
      let j = colon + 2
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      try {
        value = JSON.parse(text.slice(colon + 1, j + 1)) as string
      } catch {
        return out // malformed: keep what was read before it
      }
      next = text.indexOf(',', j + 1)
    } else {
      next = text.indexOf(',', colon + 1)
      value = text.slice(colon + 1, next === -1 ? undefined : next)
    }
    out.push({ type, value })
    if (next === -1) break
    i = next + 1
  }
  return out
}
