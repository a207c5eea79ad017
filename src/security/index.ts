// Public face of the security stage (STYLE.md rule 1): identities, access rules, the Sparkplug guard,
// tokens, TLS files, limits and the audit trail. It answers `{identity, action, target}` questions and
// knows nothing of MQTT packets or HTTP requests; the broker hooks and one Fastify hook ask it.
export {
  createSecurity,
  type ClientSession,
  type Security,
  type SecurityConfig,
  type SecurityDeps,
} from './security.js'
export {
  ALLOWED,
  internalIdentity,
  type Action,
  type Decision,
  type Identity,
  type IdentityKind,
  type Question,
} from './identity.js'
export {
  createPasswordVerifier,
  DEFAULT_SCRYPT,
  hashPassword,
  parsePasswordHash,
  type PasswordHash,
  type PasswordVerifier,
  type ScryptParams,
} from './password.js'
export { runHashPassword, type HashPasswordIo } from './hash-password.js'
export {
  createAccessRules,
  type AccessRules,
  type AccessRulesConfig,
  type Permissions,
  type RoleConfig,
} from './rules.js'
export { createSparkplugGuard, type SparkplugGuard } from './sparkplug-guard.js'
export { createTokenVerifier, type TokenConfig, type TokenVerifier } from './tokens.js'
export { createJwtVerifier, type JwtConfig, type JwtVerifier } from './jwt.js'
export {
  createAuthenticator,
  type AuthRefusal,
  type AuthResult,
  type Authenticator,
  type AuthenticatorConfig,
  type Credentials,
  type UserConfig,
} from './authenticate.js'
export {
  certificateIdentities,
  peerCertificateIdentities,
  type CertificateIdentityMode,
  type PeerCertificateLike,
} from './certificate.js'
export {
  createReloadableTls,
  type ClientCertificates,
  type ReloadableTls,
  type TlsFilesConfig,
} from './tls.js'
export {
  createAuditTrail,
  type AuditAction,
  type AuditEvent,
  type AuditSink,
  type AuditTrail,
} from './audit.js'
export {
  createConnectionLimiter,
  createTokenBucket,
  originAllowed,
  topicLimitProblem,
  type Admission,
  type ConnectionLimiter,
  type TokenBucket,
  type TopicLimits,
} from './limits.js'
export { isLoopbackHost, isOpenMode, securityConfigProblems } from './config-check.js'
