// Internal signal of a malformed value deep inside a payload. The payload decoder catches it and
// reports the metric as a problem; it never leaves the sparkplug folder.
export class WireError extends Error {
  override readonly name = 'WireError'
}
