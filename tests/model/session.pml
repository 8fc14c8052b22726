/*
 * serguard: a spin model of the session engine (proto/src/conn.c) between
 * the gateway (EDHOC initiator, I) and a field device (responder only, R)
 * over a serial line that loses and duplicates frames but does not
 * reorder them. tests/model/README.md says what is modelled, what is
 * abstracted and why, the properties and the results; tests/test-model.sh
 * (make check / make check-model) runs every configuration below.
 *
 * Configurations (spin -D... -a session.pml):
 *   (none)          conn.c as it is; safety (pan built with -DSAFETY):
 *                   assertions and invalid end states (deadlock). Finds
 *                   flaw F2 (README.md).
 *   -DNOQUIESCE     without the deadlock check (assertions only)
 *   -DFIX_F1 -DFIX_F2   with the two changes to conn.c README.md proposes
 *   -DLIVENESS      ltl `agree` (pan -a -f): losses fewer than the
 *                   retransmissions an exchange allows
 *   -DOUTAGE        with -DLIVENESS: as many losses as retransmissions
 *                   (a line outage as long as hs_timeout). Finds flaw F1.
 *   -DBUG_REPLAY, -DBUG_M3_REKEY, -DBUG_M1_REKEY, -DBUG_NO_HOLD,
 *   -DBUG_EARLY_KEYS   deliberate bugs; each breaks one assertion
 *
 * Abstraction in short: one frame per handshake message (fragment
 * reassembly is flight.c's, tested on its own); EDHOC is reduced to
 * identities: message_1 is its exchange id `ex`, message_2 carries the
 * `ex` it answers and a fresh key id `k` (R's new ephemeral makes new
 * session keys), message_3 and message_4 carry `k`, and a message that
 * does not match the exchange fails as EDHOC's checks would. A record
 * carries the key id it was sealed under, its sequence number and, for
 * application data, a unique message id; it opens only under the same key
 * id (AEAD). Time is abstract: in the safety runs any armed timer may fire
 * at any moment (every ordering of the real timers); in the liveness runs
 * a timer fires only when the line is idle (a timeout exceeds a round
 * trip). The WORK states of conn.c are folded into the handling of the
 * message that starts them: with defer_work off the step runs inside the
 * push that completed the message, atomic with respect to the line.
 */

/* ---- bounds (README.md: why these suffice) --------------------------- */
/* conn.c carries the fixes of F1 and F2 (commit 89035de): they are the
 * default; -DASIS models conn.c as it was when the model found them. */
#ifndef ASIS
#ifndef FIX_F1
#define FIX_F1
#endif
#ifndef FIX_F2
#define FIX_F2
#endif
#endif

#ifndef XN
#define XN 2		/* xid values (conn.c: a byte, never the previous one) */
#endif
#ifndef QLEN
#define QLEN 1		/* frames the line holds per direction */
#endif
#ifndef REBOOTS
#define REBOOTS 1	/* device reboots (state loss) */
#endif
#ifndef LIFE_I
#define LIFE_I 1	/* session lifetime expiries on the gateway */
#endif
#ifndef LIFE_R
#define LIFE_R 1	/* ... on the device */
#endif
#ifndef FAILMAX
#define FAILMAX 2	/* fail_rehandshake (conn.c default 32) */
#endif

#ifdef LIVENESS
#ifndef MAXEX
#define MAXEX 6		/* enough: BOUND_CHECK asserts it */
#endif
#ifndef MAXK
#define MAXK 6
#endif
#ifndef NI
#define NI 1
#endif
#ifndef NR
#define NR 1
#endif
#ifndef LOSSES
#ifdef OUTAGE
#define LOSSES 3	/* = RMAX: an outage as long as hs_timeout */
#else
#define LOSSES 2	/* < RMAX */
#endif
#endif
#ifndef DUPS
#define DUPS 1
#endif
#ifndef RMAX
#define RMAX 3		/* retransmissions before hs_timeout (conn.c: ~5 in 60 s) */
#endif
#else
#ifndef MAXEX
#define MAXEX 3		/* exchanges the initiator may start (ids 1..MAXEX) */
#endif
#ifndef MAXK
#define MAXK 3		/* key ids R may create (message_2 computations) */
#endif
#ifndef NI
#define NI 2		/* application messages I -> R */
#endif
#ifndef NR
#define NR 1		/* application messages R -> I */
#endif
#endif

/* conn-level exchange states (conn.c hs_state; WORK states folded) */
#define NONE 0
#define I_WAIT_M2 1
#define I_WAIT_M4 2
#define R_WAIT_M3 3
#define R_DONE 4

/*
 * Frames: { type, a, b, c }
 *   M1  xid ex -        M2  xid ex k      M3  xid k -      M4  xid k -
 *   ERR xid - -         REQ - - -         APP k seq id     REHS k seq -
 */
mtype = { M1, M2, M3, M4, ERR, REQ, APP, REHS };
chan i2r = [QLEN] of { mtype, byte, byte, byte };
chan r2i = [QLEN] of { mtype, byte, byte, byte };

/* ---- the gateway (initiator) ------------------------------------------ */
byte ihs;		/* hs_state */
byte ixid, ilast;	/* xid, last_xid */
byte iex;		/* the running exchange (its message_1) */
bool ihave;		/* have_session */
byte iep;		/* rec: key id of the live session */
byte inxt;		/* rec_next: key id of the tentative one, 0 none */
byte itxs, irxh;	/* rec: last seq sealed, highest seq delivered */
byte ifail;		/* fail_run */
byte inext;		/* application messages sent so far */
bool irt;		/* want_exchange && t_retry armed */
bool ilife;		/* t_lifetime armed */
bool ildue;		/* ghost: lifetime passed, no new session since */
bool ifp;		/* flight (stored message) waiting to be sent */
mtype ift; byte ifx, ifa;	/* the stored message: type, xid, arg */
#ifdef LIVENESS
byte nrt;		/* retransmissions in this exchange */
#endif
#ifdef BUG_EARLY_KEYS
byte itxn;		/* rec_next: last seq sealed */
#endif

/* ---- the device (responder) ------------------------------------------- */
byte rhs;		/* hs_state */
byte rxid;		/* xid of the exchange answered */
byte rhm1, rhm3;	/* h_m1, h_m3: identities of the messages answered */
byte rkp;		/* rec_next: key id of our message_2, 0 none */
bool rhave;		/* have_session */
byte rep;		/* rec: key id of the live session */
byte rtxs, rrxh;	/* rec: last seq sealed, highest seq delivered */
byte rfail;		/* fail_run */
byte rnext;		/* application messages sent so far */
bool rrt;		/* want_exchange && t_retry armed */
bool rlife;		/* t_lifetime armed */
bool rreq;		/* request_due */
bool rrehs;		/* rehs_due */
bool rlim;		/* t_request_ok: a fail_run request went out (see r_record) */
bool rfp;		/* flight waiting to be sent */
mtype rft; byte rfx, rfa, rfb;	/* the stored message */

/* ---- ghosts: bounds, budgets and the properties' bookkeeping ---------- */
byte exgen, kgen;	/* ids handed out */
byte reboots, ilifes, rlifes;
bool bound_hit;		/* a model bound stopped an action conn.c would take */
bit dI[NI + 1];		/* I's messages delivered by R */
bit dR[NR + 1];		/* R's messages delivered by I */
byte rmax;		/* the newest key id R has installed (survives reboots) */
byte iseal, rseal;	/* last seq sealed under the live key: a key's
			 * counter never goes back (nonce = key + seq) */
bool gdis;		/* the ends may hold different sessions: the device
			 * rebooted, or I abandoned an exchange in I_WAIT_M4 */
#ifdef LIVENESS
byte losses, dups;
#endif

/* ---- predicates --------------------------------------------------------- */
/* Both ends carry records under the same session, no exchange running. */
#define AGREED (ihave && rhave && iep == rep && ihs == NONE)

#ifdef LIVENESS
#define I_OUT (ifp || (ihave && ihs != I_WAIT_M4 && inext < NI))
#define R_OUT (rreq || rfp || (rhave && (rrehs || rnext < NR)))
/* Nothing on the line, nothing about to be sent: a timer may fire. */
#define IDLE (empty(i2r) && empty(r2i) && !I_OUT && !R_OUT)
#define RATE_LIMITED false
#else
#define IDLE true
/* The retransmission timer (2 s and more) outlasts a frame on the line
 * (a 255-byte payload takes 0.28 s at 9600 baud): it fires once the last
 * copy has left. */
#define RTO_OK (!ifp && empty(i2r))
/* t_request_ok: a fail_run may be ignored (rate limit) */
#define RATE_LIMITED true
#endif

#ifdef LIVENESS
/* the bounds must not cut a liveness run short */
#define BOUND_CHECK assert(false)
#else
#define BOUND_CHECK skip
#endif

/* Locals are part of the state: forget the frame once it is handled. */
#define R_FORGET t = 0; a = 0; b = 0; c = 0; k = 0; s = 0; id = 0
#define I_FORGET R_FORGET; auth = false; done = false

/* Seal the next record: (key, seq) is the AEAD nonce, never used twice.
 * last is reset only when the key changes. */
#define SEAL(last, seq) \
	seq++; assert(seq > last); last = seq

/* ---- the gateway's steps -------------------------------------------------- */

/* clear_exchange(); what no longer matters is zeroed (fewer states) */
inline i_clear()
{
	ihs = NONE; inxt = 0; ifp = false; ixid = 0; iex = 0;
	ift = 0; ifx = 0; ifa = 0
}

/* install_session() + confirm(): the session of key k becomes the live
 * one (s: the seq of the record that confirmed it, 0 for message_4) */
inline i_install(k, s)
{
	/* each completed exchange is a new key epoch, never an older one */
	assert(!ihave || k > iep);
	/* confirmed only by what R sends after installing these keys,
	 * the newest R has */
	assert(rmax == k);
	ihave = true; iep = k; itxs = 0; irxh = s; ifail = 0; iseal = 0;
	ilife = true; ildue = false; irt = false;
	i_clear()
}

/*
 * fail_exchange(): with no session, plan the next attempt. The fixes
 * README.md proposes plan one too when the exchange had reached
 * I_WAIT_M4 (R may have switched to the new keys already: F1) or the
 * session is past its lifetime (F2).
 */
#ifdef FIX_F1
#define F1_RETRY (ihs == I_WAIT_M4)
#else
#define F1_RETRY false
#endif
#ifdef FIX_F2
#define F2_RETRY ildue
#else
#define F2_RETRY false
#endif
inline i_fail()
{
	if
	:: ihs == I_WAIT_M4 -> gdis = true
	:: else -> skip
	fi;
	if
	:: !ihave || F1_RETRY || F2_RETRY -> irt = true
	:: else -> skip
	fi;
	i_clear()
}

/* start_exchange(): new message_1 with a new xid */
inline i_start()
{
	i_clear(); irt = false;
	if
	:: exgen < MAXEX ->
		exgen++; iex = exgen;
		if
		:: ilast != 0 -> ixid = 0
		:: ilast != 1 -> ixid = 1
#if XN > 2
		:: ilast != 2 -> ixid = 2
#endif
		fi;
		ilast = ixid;
		ihs = I_WAIT_M2;
		ift = M1; ifx = ixid; ifa = iex; ifp = true
#ifdef LIVENESS
		; nrt = 0
#endif
	:: else -> bound_hit = true; BOUND_CHECK
	fi
}

/* want_new_session() on the gateway */
inline i_want()
{
	if
	:: ihs == NONE -> i_start()
	:: else -> skip
	fi
}

/* A record the gateway delivers (kind t, key k, seq s, message id id). */
inline i_deliver()
{
	ifail = 0;
	if
	:: t == APP ->
		assert(!dR[id]); dR[id] = 1;
		assert(k == iep)
	:: t == REHS -> i_want()	/* on_record_delivered: REHANDSHAKE */
	fi
}

/* on_record_frame() on the gateway */
inline i_record()
{
	auth = false; done = false;
	if
	:: ihave && k == iep ->
		/* the replay window (replay.c) as its highest delivered
		 * seq: on a line that does not reorder, anything at or
		 * below it is a repeat of what was delivered (README.md) */
		if
		:: s > irxh -> irxh = s; i_deliver(); done = true
		:: else -> skip		/* replay: SG_EREPLAY */
		fi
	:: else ->		/* wrong key: SG_EAUTH */
		auth = true;
		/* records never meet keys that moved on without them */
		assert(!ihave || gdis || (ihs == I_WAIT_M4 && k == inxt))
	fi;
	if
	:: !done && ihs == I_WAIT_M4 ->
		/* R switched at message_3: a record under the new keys
		 * confirms them as message_4 would */
		if
		:: k == inxt -> i_install(inxt, s); i_deliver(); done = true
		:: else -> auth = true	/* err is now rec_next's SG_EAUTH */
		fi
	:: else -> skip
	fi;
	if
	:: !done && !ihave -> i_want()	/* records_no_session */
	:: !done && ihave && auth ->
		ifail++;
		if
		:: ifail >= FAILMAX ->
			ifail = 0;
			if
			:: i_want()
			:: RATE_LIMITED -> skip
			fi
		:: else -> skip
		fi
	:: else -> skip
	fi
}

inline i_recv()
{
	if
	:: t == M2 ->
		if
		:: ihs == I_WAIT_M2 && a == ixid ->
			if
			:: b == iex ->
				/* work_m2: message_3, keys of this message_2 */
				inxt = c; ihs = I_WAIT_M4;
				ift = M3; ifx = ixid; ifa = c; ifp = true
			:: else ->
				/* EDHOC refuses it (TH_2 covers message_1):
				 * abort_with_error */
				i_fail(); ift = ERR; ifx = a; ifp = true
			fi
		:: else -> skip
		fi
	:: t == M4 ->
		if
		:: ihs == I_WAIT_M4 && a == ixid ->
			if
			:: b == inxt -> i_install(inxt, 0)	/* confirm() */
			:: else -> i_fail()
			fi
		:: else -> skip
		fi
	:: t == ERR ->
		if
		:: ihs != NONE && a == ixid -> i_fail()
		:: else -> skip
		fi
	:: t == REQ ->
		/* unauthenticated: at most one exchange per interval */
		if
		:: ihs == NONE -> i_start()	/* (ignoring it = losing it) */
		:: else -> skip
		fi
	:: t == APP || t == REHS ->
		k = a; s = b; id = c; i_record()
	:: else -> assert(false)	/* R sends no M1/M3 */
	fi
}

active proctype Gateway()
{
	mtype t; byte a, b, c, k, s, id; bool auth, done;

	atomic { i_start() };	/* sg_conn_start() */
end_gw:
	do
	/* ---- the line: deliver, lose or duplicate the next frame ---- */
	:: atomic { r2i?t, a, b, c -> i_recv(); I_FORGET }
#ifdef LIVENESS
	:: atomic { losses < LOSSES && nempty(r2i) -> r2i?_, _, _, _; losses++ }
	:: atomic { dups < DUPS && nempty(r2i) -> r2i?<t, a, b, c>; dups++; i_recv(); I_FORGET }
#else
	:: atomic { r2i?_, _, _, _ }
	:: atomic { r2i?<t, a, b, c> -> i_recv(); I_FORGET }
#endif
	/* ---- output: next_frame(), one frame when the line takes it ---- */
	:: atomic { ifp && nfull(i2r) -> i2r!ift, ifx, ifa, 0; ifp = false;
		if	/* an error message, once sent, is forgotten */
		:: ihs == NONE -> ift = 0; ifx = 0; ifa = 0
		:: else -> skip
		fi }
	:: atomic { !ifp && ihave && inext < NI && nfull(i2r) &&
#if defined(BUG_NO_HOLD)
		    true ->		/* the bug: data goes on under the live keys */
		SEAL(iseal, itxs); inext++;
		i2r!APP, iep, itxs, inext }
#elif defined(BUG_EARLY_KEYS)
		    true ->		/* the bug: data under the tentative keys */
		if
		:: ihs == I_WAIT_M4 -> itxn++; inext++;
			i2r!APP, inxt, itxn, inext
		:: else -> SEAL(iseal, itxs); inext++;
			i2r!APP, iep, itxs, inext
		fi }
#else
		    ihs != I_WAIT_M4 ->	/* hold data while the new keys are tentative */
		SEAL(iseal, itxs); inext++;
		i2r!APP, iep, itxs, inext }
#endif
	/* ---- timers ---- */
#ifdef LIVENESS
	:: atomic { IDLE && ihs != NONE && nrt < RMAX -> ifp = true; nrt++ }	/* t_rto */
	:: atomic { IDLE && ihs != NONE && nrt >= RMAX -> i_fail() }		/* t_expire */
#else
	:: atomic { ihs != NONE && RTO_OK -> ifp = true }	/* t_rto: resend the stored message */
	:: atomic { ihs != NONE -> i_fail() }		/* t_expire */
#endif
	:: atomic { IDLE && irt -> irt = false; i_want() }	/* t_retry */
	:: atomic { ihave && ilife && ilifes < LIFE_I ->	/* t_lifetime */
		ilifes++; ilife = false; ildue = true; i_want() }
	od
}

/* ---- the device's steps ------------------------------------------------- */

inline r_install(k)
{
	assert(!rhave || k > rep);
	rhave = true; rep = k; rtxs = 0; rrxh = 0; rfail = 0;
	rlife = true; rrt = false; rrehs = false; rlim = false;
	rseal = 0; rmax = k
}

/* clear_exchange(): xid and h_m1 stay (conn.c keeps them: a repeat of
 * the last message_1 is then ignored) */
inline r_clear()
{
	rhs = NONE; rkp = 0; rfp = false; rhm3 = 0;
	rft = 0; rfx = 0; rfa = 0; rfb = 0
}

inline r_fail()
{
	if
	:: !rhave -> rrt = true
	:: else -> skip
	fi;
	r_clear()
}

/* want_new_session() on a responder-only device */
inline r_want()
{
	if
	:: rhs == R_WAIT_M3 -> skip		/* exchange running */
	:: else ->
		if
		:: rhave -> rrehs = true	/* authenticated REHANDSHAKE record */
		:: !rhave && !rrt -> rreq = true; rrt = true
		:: !rhave && rrt -> rreq = true	/* t_retry has passed */
		:: !rhave && rrt -> skip	/* not yet */
		fi
	fi
}

inline r_record()
{
	if
	:: rhave && k == rep ->
		if
#ifdef BUG_REPLAY
		:: true ->
#else
		:: s > rrxh ->
#endif
			rrxh = s; rfail = 0;
			assert(!dI[id]); dI[id] = 1;
			/* accepted only under the session the gateway has
			 * confirmed: both ends agree on the key epoch */
			assert(ihave && iep == k)
		:: else -> skip		/* replay */
		fi
	:: rhave && k != rep ->
		/* on a line that does not reorder, holding data in I_WAIT_M4
		 * means no record of the old session is in flight when R
		 * switches: none is lost to a key change */
		assert(gdis);
		rfail++;
		if
		:: rfail >= FAILMAX ->
			rfail = 0;
			/* t_request_ok lets one request per interval through:
			 * the model lets one through per session (more would
			 * repeat the same REHANDSHAKE and let the sequence
			 * numbers grow without bound under endless duplicates) */
			if
			:: !rlim -> rlim = true; r_want()
			:: RATE_LIMITED || rlim -> skip
			fi
		:: else -> skip
		fi
	:: !rhave ->			/* records_no_session: ask for one */
		if
		:: rhs != R_WAIT_M3 -> r_want()
		:: else -> skip
		fi
	fi
}

#ifdef BUG_M1_REKEY
/* the bug: a repeat of message_1 while waiting for message_3 gets a
 * freshly computed message_2 (new ephemeral, new keys) */
#define M1_REKEY (rhs == R_WAIT_M3)
#else
#define M1_REKEY false
#endif
inline r_recv()
{
	if
	:: t == M1 ->
		if
		:: a == rxid && b == rhm1 && !M1_REKEY ->
			/* E1: a repeated message_1 is answered with the
			 * stored message_2, nothing computed */
			if
			:: rhs == R_WAIT_M3 -> rfp = true
			:: else -> skip
			fi
		:: else ->
			/* a new exchange (the live session, if any, stays).
			 * E1: never a second message_2 for a message_1 already
			 * answered (since the last reboot): on a line that does
			 * not reorder, the message_1s answered have growing ids */
			assert(b > rhm1);
			r_clear();
			if
			:: kgen < MAXK ->
				kgen++; rhm1 = b; rxid = a; rkp = kgen;
				rhs = R_WAIT_M3;
				rft = M2; rfx = a; rfa = b; rfb = kgen; rfp = true
			:: else -> bound_hit = true; BOUND_CHECK
			fi
		fi
	:: t == M3 ->
		if
		:: a == rxid && rhs == R_DONE ->
			if
			:: b == rhm3 ->
				/* E4: answered with the stored message_4, keys
				 * and counters untouched */
				assert(rft == M4);
#ifdef BUG_M3_REKEY
				/* install_session() run again on the same keys */
				rtxs = 0; rrxh = 0;
#endif
				rfp = true
			:: else -> skip
			fi
		:: a == rxid && rhs == R_WAIT_M3 ->
			rhm3 = b;
			if
			:: b == rkp ->	/* work_m3: R switches now */
				r_install(rkp); rkp = 0; rhs = R_DONE;
				rft = M4; rfx = a; rfa = rep; rfb = 0; rfp = true
			:: else ->	/* EDHOC refuses it: abort_with_error */
				r_fail(); rft = ERR; rfx = a; rfa = 0; rfb = 0; rfp = true
			fi
		:: else -> skip
		fi
	:: t == ERR ->
		if
		:: a == rxid && rhs == R_WAIT_M3 -> r_fail()
		:: else -> skip
		fi
	:: t == APP ->
		k = a; s = b; id = c; r_record()
	:: else -> assert(false)	/* I sends no M2/M4/REQ/REHS */
	fi
}

active proctype Device()
{
	mtype t; byte a, b, c, k, s, id;

	atomic { rreq = true; rrt = true };	/* sg_conn_start(): no session, ask */
end_dev:
	do
	:: atomic { i2r?t, a, b, c -> r_recv(); R_FORGET }
#ifdef LIVENESS
	:: atomic { losses < LOSSES && nempty(i2r) -> i2r?_, _, _, _; losses++ }
	:: atomic { dups < DUPS && nempty(i2r) -> i2r?<t, a, b, c>; dups++; r_recv(); R_FORGET }
#else
	:: atomic { i2r?_, _, _, _ }
	:: atomic { i2r?<t, a, b, c> -> r_recv(); R_FORGET }
#endif
	/* output priority: REQUEST, the flight, REHANDSHAKE, data */
	:: atomic { rreq && nfull(r2i) -> r2i!REQ, 0, 0, 0; rreq = false }
	:: atomic { !rreq && rfp && nfull(r2i) -> r2i!rft, rfx, rfa, rfb; rfp = false;
		if
		:: rhs == NONE -> rft = 0; rfx = 0; rfa = 0; rfb = 0
		:: else -> skip
		fi }
	:: atomic { !rreq && !rfp && rhave && rrehs && nfull(r2i) ->
		SEAL(rseal, rtxs); r2i!REHS, rep, rtxs, 0; rrehs = false }
	:: atomic { !rreq && !rfp && rhave && !rrehs && rnext < NR && nfull(r2i) ->
		SEAL(rseal, rtxs); rnext++; r2i!APP, rep, rtxs, rnext }
	/* timers */
#ifdef LIVENESS
	/* R's t_expire started when message_1 arrived, after I's: it
	 * passes only once I has left that exchange */
	:: atomic { IDLE && rhs == R_WAIT_M3 &&
		    !(ihs != NONE && ixid == rxid && iex == rhm1) -> r_fail() }
	/* a REQUEST while I runs an exchange is ignored: not sent then */
	:: atomic { IDLE && rrt && ihs == NONE -> rrt = false; r_want() }
#else
	:: atomic { rhs == R_WAIT_M3 -> r_fail() }
	:: atomic { rrt -> rrt = false; r_want() }
#endif
	:: atomic { rhave && rlife && rlifes < LIFE_R ->
		rlifes++; rlife = false; r_want() }
	/* reboot: all state lost, then sg_conn_start() */
	:: atomic { reboots < REBOOTS ->
		reboots++; gdis = true;
		r_clear(); rxid = 0; rhm1 = 0;
		rhave = false; rep = 0; rtxs = 0; rrxh = 0; rfail = 0; rseal = 0;
		rlife = false; rrehs = false; rlim = false;
		rreq = true; rrt = true }
	od
}

#if !defined(LIVENESS) && !defined(NOQUIESCE)
/*
 * Deadlock: when nothing at all can move (the line is empty, nothing is
 * waiting to be sent and no timer is armed), the two ends must agree on
 * a session whose lifetime is being enforced, unless a bound of the
 * model stopped conn.c from going on. Otherwise this process stays
 * blocked outside an end state: pan reports an invalid end state.
 */
#define QUIET_OK (bound_hit || (AGREED && !ildue) || \
		  (ihave && ilife && ilifes >= LIFE_I))
active proctype Quiescence()
{
	timeout;
	QUIET_OK
}
#endif

#ifdef LIVENESS
/* once the faults (bounded) are over, the ends agree and stay agreed */
ltl agree { <> [] AGREED }
#endif
