/*
 * serguard protocol core: error codes.
 *
 * Every function of the core that can fail returns 0 (or a non-negative
 * count) on success and one of these negative codes on failure. The codes
 * come from one X-macro list so that the enum, sg_strerror() and
 * sg_errname() can never disagree.
 *
 * Ranges say who is at fault:
 *   -1   .. -99   the caller (bad argument, buffer too small, wrong state)
 *   -100 .. -199  the peer or the wire (malformed or unauthenticated input)
 *   -200 .. -299  certificates and identity policy
 *   -300 .. -399  the environment (crypto backend, randomness, clock)
 *
 * Raw mbedTLS error codes never cross the core's API: the crypto adapter
 * maps them onto SG_ECRYPTO / SG_ERNG and friends.
 */
#ifndef SERGUARD_ERR_H
#define SERGUARD_ERR_H

#define SG_ERRNO_MAP(X)                                                        \
	/* caller */                                                           \
	X(EINVAL, -1, "invalid argument")                                      \
	X(ENOSPC, -2, "output buffer too small")                               \
	X(ESTATE, -3, "call not valid in the current state")                   \
	X(ECONFIG, -4, "invalid configuration")                                \
	X(EAGAIN, -5, "nothing to do now, try again later")                    \
	X(ETOOBIG, -6, "message larger than the configured maximum")           \
	X(ECLOSED, -7, "session closed")                                       \
	X(EFULL, -8, "queue full")                                             \
	/* peer / wire */                                                      \
	X(EDECODE, -100, "malformed message")                                  \
	X(ECRC, -101, "frame check sequence mismatch")                         \
	X(EFRAME, -102, "malformed frame")                                     \
	X(ECBOR, -103, "malformed or non-deterministic CBOR")                  \
	X(EPOINT, -104, "invalid elliptic-curve point")                        \
	X(ELENGTH, -105, "field of the wrong length")                          \
	X(EMETHOD, -106, "EDHOC method not allowed")                           \
	X(ESUITE, -107, "cipher suite not supported")                          \
	X(EAUTH, -108, "authentication failed (MAC, tag or signature)")        \
	X(EPEERERR, -109, "peer sent an EDHOC error message")                  \
	X(EUNEXPECTED, -110, "message not expected in this state")             \
	X(EREPLAY, -111, "replayed or too old")                                \
	X(ESTALE, -112, "older than the maximum age")                          \
	X(EEAD, -113, "unsupported critical EAD item")                         \
	X(ECREDREF, -114, "unknown credential reference")                      \
	X(ELIMIT, -115, "protocol limit reached")                              \
	X(ETIMEOUT, -116, "peer did not answer in time")                       \
	X(EDOWNGRADE, -117, "downgrade attempt detected")                      \
	X(ECREDTYPE, -118, "credential identifier type not supported")       \
	/* peer / wire: record layer (-130 .. -139) */                        \
	X(ETOOOLD, -130, "older than the replay window")                       \
	X(EPHASE, -131, "record under a key phase not held")                   \
	X(EFUTURE, -132, "timestamp ahead of the sender's clock bound")        \
	/* certificates and identity */                                        \
	X(ECERT, -200, "certificate malformed")                                \
	X(ECERTCHAIN, -201, "certificate not issued by a trusted CA")          \
	X(ECERTEXPIRED, -202, "certificate expired")                           \
	X(ECERTFUTURE, -203, "certificate not yet valid")                      \
	X(ECERTUSAGE, -204, "certificate key usage does not allow this")       \
	X(ECERTKEY, -205, "certificate key is not ECDSA P-256")                \
	X(ECERTREVOKED, -206, "certificate revoked")                           \
	X(EIDENTITY, -207, "certificate identity not allowed here")            \
	X(ENOTIME, -208, "wall-clock time unknown, validity not checkable")    \
	/* environment */                                                      \
	X(ECRYPTO, -300, "cryptographic backend failure")                      \
	X(ERNG, -301, "random number generator failure")                       \
	X(EINTERNAL, -399, "internal error")

enum sg_err {
	SG_OK = 0,
#define SG__ERR_ENUM(name, val, msg) SG_##name = (val),
	SG_ERRNO_MAP(SG__ERR_ENUM)
#undef SG__ERR_ENUM
	SG__ERR_MIN = -400
};

/* A human-readable sentence for an error code. Never NULL; unknown codes
 * give "unknown error". The string is static. */
const char *sg_strerror(int err);

/* The symbolic name ("SG_EAUTH"), for logs and tests. Never NULL. */
const char *sg_errname(int err);

#endif
