// Sparkplug's own session metrics: `bdSeq` [tck-id-payloads-nbirth-bdseq], `Node Control/*`
// [tck-id-topics-nbirth-rebirth-metric] and `Device Control/*`. They describe the Sparkplug session, not
// the process: the host keeps them in its model (node view, bdSeq matching, rebirth and scan-rate
// commands) but never turns them into UNS values. Before issue 11 they were mapped like any metric and
// an edge node without an edge-level mapping grew a stray root (`acme-berlin/plc-packaging-1/bdSeq`).

/** True for a metric that belongs to the Sparkplug session rather than to the namespace. */
export function isProtocolMetric(name: string): boolean {
  return name === 'bdSeq' || name.startsWith('Node Control/') || name.startsWith('Device Control/')
}
