package dev.cardsmith.applet.sim;

import dev.cardsmith.applet.platform.Bytes;
import dev.cardsmith.applet.platform.P256;
import dev.cardsmith.applet.platform.Sw;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.ECPublicKey;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * The terminal side of seed 004, reached by SELECT on a logical channel (OMAPI on a handset):
 * GET CHALLENGE, AUTHENTICATE (Fig. 2: proof compared on the SIM, IMEI and maximum output
 * controlled), trust key generated here and sent encrypted (Fig. 1 steps 25/26), ACK (27), POLL,
 * DRM content keys (Figs. 4-5), revocation by the terminal. Depends on State, Crypto, Transients
 * and OtaReceiver (the secured notification for the network); nothing here is called back.
 */
final class TerminalProtocol {

    private final State st;
    private final Crypto crypto;
    private final Transients tr;
    private final OtaReceiver ota;
    private final SimIdentity identity;
    /** Where the SIM's signature goes in the asymmetric answer: after flags gen expiry E_card ct CMAC8. */
    private static final short SIM_SIGNATURE_AT = (short) (4 + Constants.EC_POINT_LEN + 32 + Constants.MAC8_LEN);

    TerminalProtocol(State st, Crypto crypto, Transients tr, OtaReceiver ota, SimIdentity identity) {
        this.st = st;
        this.crypto = crypto;
        this.tr = tr;
        this.ota = ota;
        this.identity = identity;
    }

    /** Fig. 2 step 10 (also the SELECT answer): fresh challenge || state || generation || flags || key type. */
    short getChallenge(byte[] buf) {
        crypto.random(tr.challenge, (short) 0, Constants.CHALLENGE_LEN);
        tr.session[Transients.S_CHALLENGE_VALID] = 1;
        tr.session[Transients.S_AUTHENTICATED] = 0;
        crypto.clearSession();
        Util.arrayCopyNonAtomic(tr.challenge, (short) 0, buf, (short) 0, Constants.CHALLENGE_LEN);
        short o = Constants.CHALLENGE_LEN;
        buf[o++] = st.trustState;
        buf[o++] = st.generation;
        buf[o++] = st.flags();
        buf[o++] = st.keyType;
        return o;
    }

    /** Pull mechanism: state || flags || generation || expiry(2) || current date(2) || event seq(2). */
    short poll(byte[] buf) {
        short o = 0;
        buf[o++] = st.trustState;
        buf[o++] = st.flags();
        buf[o++] = st.generation;
        o = Util.setShort(buf, o, st.trustState == Constants.STATE_TRUSTED ? st.expiry : st.initExpiry);
        o = Util.setShort(buf, o, st.currentDate);
        o = Util.setShort(buf, o, st.eventSeq);
        return o;
    }

    /**
     * AUTHENTICATE (Fig. 2 steps 11, 12, 24; Fig. 3 step 31).
     * Data: date(2) || IMEI(8) || max output(1) || terminal nonce(8) || proof. Proof, symmetric:
     * AES-CMAC(K, 'T' || challenge || date || IMEI || max output || nonce), K the init key or the
     * trust MAC key. Proof, asymmetric (initialization with an EC P-256 key): E_T(65) ||
     * ECDSA-SHA256 signature over challenge || date || IMEI || max output || nonce || E_T.
     * Response: flags || generation || expiry(2) [|| E_card(65) if asymmetric] [|| ENC(S_enc,
     * trust enc key || trust mac key)(32) || CMAC8(S_mac, 'C' || challenge || gen || expiry || ct)]
     * [|| the SIM's ECDSA signature (SimIdentity.signTranscript) if asymmetric].
     */
    short authenticate(byte[] buf, short len) {
        byte p1 = buf[ISO7816.OFFSET_P1];
        if (p1 != Constants.P1_AUTH_PLAIN && p1 != Constants.P1_AUTH_UPDATE) ISOException.throwIt(Sw.INCORRECT_P1P2);
        if (tr.session[Transients.S_CHALLENGE_VALID] == 0) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        tr.session[Transients.S_CHALLENGE_VALID] = 0; // one attempt per challenge
        tr.session[Transients.S_AUTHENTICATED] = 0;
        byte state = st.trustState;
        if (state == Constants.STATE_REVOKED) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
        if (state != Constants.STATE_INITIALIZED && state != Constants.STATE_TRUSTED) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        boolean asym = state == Constants.STATE_INITIALIZED && st.keyType == Constants.KEY_TYPE_EC_P256;
        short d = ISO7816.OFFSET_CDATA;
        short fixed = (short) (2 + Constants.IMEI_LEN + 1 + Constants.TERMINAL_NONCE_LEN);
        if (asym ? len < (short) (fixed + Constants.EC_POINT_LEN + 8) : len != (short) (fixed + Constants.PROOF_LEN)) {
            ISOException.throwIt(Sw.WRONG_LENGTH);
        }
        // the terminal's ephemeral key goes into ECDH: it must be a point on P-256 (6A80)
        if (asym) P256.checkPoint(buf, (short) (d + fixed), Constants.EC_POINT_LEN, tr.scratch, (short) 0);
        // a key a torn revocation left cleared is not usable in this state (explicit: an unexpected
        // CryptoException would be 6F01)
        javacard.security.Key proofKey = asym ? (javacard.security.Key) st.initPub[st.initSlot]
                : state == Constants.STATE_INITIALIZED ? st.initKey[st.initSlot] : st.trustMac[st.activeSlot];
        if (!proofKey.isInitialized()) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        // the handset's own IMEI (PROVIDE LOCAL INFORMATION at power-up, ToolkitEvents): without it
        // no terminal characteristic can be controlled (seed 004: the IMEI a caller states is no proof)
        if (tr.ota[Transients.O_IMEI_VALID] == 0) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        // throttle: MAX_AUTH_FAILURES wrong proofs per power cycle, one per power cycle once the
        // persistent count reached it (a tear is a power cycle: it cannot buy more). Failures never
        // revoke: any reader or app can send them; the network sees the count (STATUS) and decides.
        byte limit = st.failCount >= Constants.MAX_AUTH_FAILURES ? 1 : Constants.MAX_AUTH_FAILURES;
        if (tr.ota[Transients.O_FAILURES] >= limit) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
        // counted before the comparison (single-byte writes, atomic); success resets both below
        tr.ota[Transients.O_FAILURES]++;
        if (st.failCount < Constants.MAX_FAIL_COUNT) st.failCount++;
        // message = challenge || date || IMEI || max output [|| E_T] in scratch
        byte[] s = tr.scratch;
        short m = 0;
        if (!asym) s[m++] = Constants.LABEL_TERMINAL_PROOF;
        m = Util.arrayCopyNonAtomic(tr.challenge, (short) 0, s, m, Constants.CHALLENGE_LEN);
        m = Util.arrayCopyNonAtomic(buf, d, s, m, fixed);
        boolean ok;
        if (asym) {
            m = Util.arrayCopyNonAtomic(buf, (short) (d + fixed), s, m, Constants.EC_POINT_LEN);
            short sigOff = (short) (d + fixed + Constants.EC_POINT_LEN);
            crypto.ecdsa.init(st.initPub[st.initSlot], Signature.MODE_VERIFY);
            // a signature that is not even DER is a wrong proof, not a card fault (P256.verify)
            ok = P256.verify(crypto.ecdsa, s, (short) 0, m, buf, sigOff, (short) (d + len - sigOff));
        } else {
            javacard.security.AESKey k = state == Constants.STATE_INITIALIZED ? st.initKey[st.initSlot] : st.trustMac[st.activeSlot];
            crypto.cmac(k, s, (short) 0, m, s, m);
            ok = Bytes.equal(s, m, buf, (short) (d + fixed), Constants.PROOF_LEN);
        }
        // Fig. 1 step 24 / Fig. 2: control of the terminal characteristics (IMEI, max output)
        if (ok) {
            ok = Util.arrayCompare(buf, (short) (d + 2), st.imei, (short) 0, Constants.IMEI_LEN) == 0
                    && Util.arrayCompare(tr.imei, (short) 0, st.imei, (short) 0, Constants.IMEI_LEN) == 0
                    && buf[(short) (d + 2 + Constants.IMEI_LEN)] == st.maxOutput;
        }
        if (!ok) {
            failed();
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        // the terminal's date can only make this session stricter (expiry, valid-until); the card's
        // clock moves with network-authenticated time only (OTA SET_DATE / INIT_TRUST)
        short date = Util.getShort(buf, d);
        tr.sessionDate[0] = date > st.currentDate ? date : st.currentDate;
        tr.ota[Transients.O_FAILURES] = 0;
        // the terminal's nonce goes into the session keys: a recorded SIM session cannot be replayed to a terminal
        Util.arrayCopyNonAtomic(buf, (short) (d + 2 + Constants.IMEI_LEN + 1), tr.challenge, Constants.CHALLENGE_LEN, Constants.TERMINAL_NONCE_LEN);
        if (st.failCount != 0) st.failCount = 0; // one byte: atomic
        if (st.expiredAt(tr.sessionDate[0])) ISOException.throwIt(Sw.REFERENCE_DATA_NOT_USABLE);
        st.checkUpdateWindow(tr.sessionDate[0]); // one boolean: atomic

        // session keys
        short simSignature = 0;
        if (asym) {
            deriveAsymmetricSession(buf, (short) (d + fixed));
            // the SIM proves itself: its certified key signs the challenge and the ECDH transcript
            // (the terminal's data and E_T as received, E_card), behind the rest of the answer
            simSignature = identity.signTranscript(tr.challenge, buf, d, (short) (fixed + Constants.EC_POINT_LEN),
                    crypto.ephemeral, s, buf, SIM_SIGNATURE_AT);
        } else {
            javacard.security.AESKey k = state == Constants.STATE_INITIALIZED ? st.initKey[st.initSlot] : st.trustEnc[st.activeSlot];
            deriveSession(k);
        }
        tr.session[Transients.S_AUTHENTICATED] = 1;

        boolean deliver = state == Constants.STATE_INITIALIZED || p1 == Constants.P1_AUTH_UPDATE;
        short o = 0;
        buf[o++] = (byte) (st.flags() | (deliver ? Constants.FLAG_KEY_DELIVERED : 0));
        if (!deliver) {
            buf[o++] = st.generation;
            o = Util.setShort(buf, o, st.expiry);
            // card proof: CMAC8(S_mac, 'C' || challenge || flags || generation || expiry) - the
            // terminal learns that this card holds the key (it promotes a pending key on this only)
            short q = 0;
            s[q++] = Constants.LABEL_CARD_PROOF;
            q = Util.arrayCopyNonAtomic(tr.challenge, (short) 0, s, q, Constants.CHALLENGE_LEN);
            q = Util.arrayCopyNonAtomic(buf, (short) 0, s, q, o);
            crypto.cmac(crypto.sessionMac, s, (short) 0, q, s, q);
            return Util.arrayCopyNonAtomic(s, q, buf, o, Constants.MAC8_LEN);
        }
        // Fig. 1 step 25 / Fig. 3 step 32: new trust key generated on the SIM into the pending slot
        byte gen = (byte) (st.generation + 1);
        short newExpiry = state == Constants.STATE_INITIALIZED ? st.initExpiry : (short) (st.currentDate + st.lifetime);
        if (newExpiry < st.currentDate) newExpiry = (short) 0x7FFF; // short overflow: the last representable day
        short keyOff = 64;
        crypto.random(s, keyOff, (short) 32);
        byte slot = st.pendingSlot();
        // Key.setKey is not transactional on many cards: withdraw an earlier pending key first
        // (one boolean, atomic), so a tear between the two setKey calls cannot leave an
        // acknowledgeable mix of a new ENC key and the old pending MAC key; the keys are written
        // outside the transaction while hasPending is false, the transaction makes them usable
        st.hasPending = false;
        st.trustEnc[slot].setKey(s, keyOff);
        st.trustMac[slot].setKey(s, (short) (keyOff + 16));
        JCSystem.beginTransaction();
        st.pendingGeneration = gen;
        st.pendingExpiry = newExpiry;
        Util.arrayCopy(tr.challenge, (short) 0, st.pendingNonce, (short) 0, Constants.CHALLENGE_LEN);
        st.hasPending = true;
        JCSystem.commitTransaction();
        buf[o++] = gen;
        o = Util.setShort(buf, o, newExpiry);
        if (asym) {
            short w = ((ECPublicKey) crypto.ephemeral.getPublic()).getW(buf, o);
            o += w;
        }
        short ct = o;
        o += crypto.cbc(crypto.sessionEnc, Cipher.MODE_ENCRYPT, s, keyOff, (short) 32, buf, o);
        Util.arrayFillNonAtomic(s, keyOff, (short) 32, (byte) 0);
        // card proof: CMAC8(S_mac, 'C' || challenge || gen || expiry || ciphertext)
        short q = 0;
        s[q++] = Constants.LABEL_CARD_PROOF;
        q = Util.arrayCopyNonAtomic(tr.challenge, (short) 0, s, q, Constants.CHALLENGE_LEN);
        s[q++] = gen;
        q = Util.setShort(s, q, newExpiry);
        q = Util.arrayCopyNonAtomic(buf, ct, s, q, (short) 32);
        crypto.cmac(crypto.sessionMac, s, (short) 0, q, s, q);
        o = Util.arrayCopyNonAtomic(s, q, buf, o, Constants.MAC8_LEN);
        return (short) (o + simSignature); // asymmetric: o = SIM_SIGNATURE_AT
    }

    /** Failed authentication (already counted): the session ends; nothing is revoked. */
    private void failed() {
        crypto.clearSession();
    }

    /** S_enc = CMAC(K, 'S' || 01 || challenge || terminal nonce), S_mac = CMAC(K, 'S' || 02 || challenge || terminal nonce). */
    private void deriveSession(javacard.security.AESKey k) {
        byte[] s = tr.scratch;
        short base = 96;
        s[base] = Constants.LABEL_SESSION_KEY;
        short n = (short) (2 + Constants.CHALLENGE_LEN + Constants.TERMINAL_NONCE_LEN);
        Util.arrayCopyNonAtomic(tr.challenge, (short) 0, s, (short) (base + 2), (short) (n - 2));
        s[(short) (base + 1)] = 1;
        crypto.cmac(k, s, base, n, s, (short) (base + 32));
        crypto.sessionEnc.setKey(s, (short) (base + 32));
        s[(short) (base + 1)] = 2;
        crypto.cmac(k, s, base, n, s, (short) (base + 32));
        crypto.sessionMac.setKey(s, (short) (base + 32));
        Util.arrayFillNonAtomic(s, base, (short) 64, (byte) 0);
    }

    /** Z = ECDH(ephemeral card key, E_T).x; S_enc || S_mac = SHA-256(Z || challenge). */
    private void deriveAsymmetricSession(byte[] buf, short eT) {
        byte[] s = tr.scratch;
        crypto.ephemeral.genKeyPair();
        crypto.ecdh.init(crypto.ephemeral.getPrivate());
        short z = crypto.ecdh.generateSecret(buf, eT, Constants.EC_POINT_LEN, s, (short) 0);
        Util.arrayCopyNonAtomic(tr.challenge, (short) 0, s, z, Constants.CHALLENGE_LEN);
        crypto.sha256.reset();
        crypto.sha256.doFinal(s, (short) 0, (short) (z + Constants.CHALLENGE_LEN), s, (short) 64);
        crypto.sessionEnc.setKey(s, (short) 64);
        crypto.sessionMac.setKey(s, (short) 80);
        Util.arrayFillNonAtomic(s, (short) 0, (short) 96, (byte) 0);
    }

    /**
     * ACK (Fig. 1 step 27, Fig. 3 step 34): generation || CMAC8(new trust MAC key, 'A' || nonce ||
     * generation), nonce = the challenge of the authentication that delivered the key. Works in a
     * later session too (a lost acknowledgement can be repeated). Old key replaced by the new one
     * in one transaction; the response is the secured notification for the OTA server (step 28).
     */
    short ack(byte[] buf, short len) {
        if (len != (short) (1 + Constants.MAC8_LEN)) ISOException.throwIt(Sw.WRONG_LENGTH);
        if (!st.hasPending || st.trustState == Constants.STATE_REVOKED) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        short d = ISO7816.OFFSET_CDATA;
        if (buf[d] != st.pendingGeneration) ISOException.throwIt(Sw.WRONG_DATA);
        byte[] s = tr.scratch;
        short m = 0;
        s[m++] = Constants.LABEL_ACK;
        m = Util.arrayCopyNonAtomic(st.pendingNonce, (short) 0, s, m, Constants.CHALLENGE_LEN);
        s[m++] = st.pendingGeneration;
        byte slot = st.pendingSlot();
        if (!st.trustMac[slot].isInitialized()) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        crypto.cmac(st.trustMac[slot], s, (short) 0, m, s, m);
        if (!Bytes.equal(s, m, buf, (short) (d + 1), Constants.MAC8_LEN)) {
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        // key confirmation for the terminal: CMAC8(new trust MAC key, 'K' || nonce || generation);
        // only a card that holds the delivered key and took the ACK answers it (Terminal promotes on it)
        s[0] = Constants.LABEL_KEY_CONFIRM;
        crypto.cmac(st.trustMac[slot], s, (short) 0, m, tr.out, CONFIRM_AT);
        JCSystem.beginTransaction();
        st.activeSlot = slot;
        st.generation = st.pendingGeneration;
        st.expiry = st.pendingExpiry;
        st.trustState = Constants.STATE_TRUSTED;
        st.hasPending = false;
        st.updateRequested = false;
        st.failCount = 0;
        st.event(Constants.EVENT_TRUST_ACK);
        st.clearPending = true; // the old slot and the init key are unreachable now
        JCSystem.commitTransaction();
        st.finishClear();
        if (tr.session[Transients.S_AUTHENTICATED] != 0) {
            // continue the session under the new trust key
            deriveSession(st.trustEnc[slot]);
        }
        short n = sendNotification(buf);
        Util.arrayCopyNonAtomic(tr.out, CONFIRM_AT, buf, n, Constants.MAC8_LEN);
        return (short) (n + Constants.MAC8_LEN);
    }

    /** Where ACK keeps its key confirmation (16 bytes) in tr.out while the notification (32 bytes) is built before it. */
    private static final short CONFIRM_AT = (short) (Transients.OUT_LEN - Constants.AES_BLOCK);

    /**
     * DRM (Figs. 4-5): content id(2) -> ENC(S_enc, id || plays left || 0^12 || content key) ||
     * CMAC8(S_mac, ciphertext). Only for an authenticated, trusted, unexpired, unrevoked
     * terminal, within the license's play count and validity window.
     */
    short contentKey(byte[] buf, short len) {
        if (len != 2) ISOException.throwIt(Sw.WRONG_LENGTH);
        requireTrustedSession();
        short id = Util.getShort(buf, ISO7816.OFFSET_CDATA);
        short i = st.findLicense(id);
        if (i < 0) ISOException.throwIt(Sw.REFERENCED_DATA_NOT_FOUND);
        // valid-from against the network's date only, valid-until against the later of the two:
        // the terminal's date can only narrow the window (docs/ota.md "On the card")
        if (st.currentDate < st.licFrom[i] || tr.sessionDate[0] > st.licUntil[i]) ISOException.throwIt(Sw.REFERENCE_DATA_NOT_USABLE);
        short plays = st.licPlays[i];
        if (plays == 0) ISOException.throwIt(Sw.REFERENCE_DATA_NOT_USABLE);
        if (plays != Constants.UNLIMITED_PLAYS) {
            plays--;
            JCSystem.beginTransaction();
            st.licPlays[i] = plays;
            JCSystem.commitTransaction();
        }
        byte[] s = tr.scratch;
        Util.arrayFillNonAtomic(s, (short) 0, (short) 32, (byte) 0);
        Util.setShort(s, (short) 0, id);
        Util.setShort(s, (short) 2, plays);
        st.licKey[i].getKey(s, (short) 16);
        short o = crypto.cbc(crypto.sessionEnc, Cipher.MODE_ENCRYPT, s, (short) 0, (short) 32, buf, (short) 0);
        Util.arrayFillNonAtomic(s, (short) 0, (short) 32, (byte) 0);
        crypto.cmac(crypto.sessionMac, buf, (short) 0, o, s, (short) 0);
        o = Util.arrayCopyNonAtomic(s, (short) 0, buf, o, Constants.MAC8_LEN);
        return o;
    }

    private void requireTrustedSession() {
        if (st.trustState == Constants.STATE_REVOKED) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
        if (tr.session[Transients.S_AUTHENTICATED] == 0 || st.trustState != Constants.STATE_TRUSTED) {
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        if (st.expiredAt(tr.sessionDate[0])) ISOException.throwIt(Sw.REFERENCE_DATA_NOT_USABLE);
    }

    /** Revocation on the terminal's initiative; returns the secured notification for the network. */
    short terminalRevoke(byte[] buf) {
        if (st.trustState == Constants.STATE_REVOKED) ISOException.throwIt(Sw.AUTH_METHOD_BLOCKED);
        if (tr.session[Transients.S_AUTHENTICATED] == 0) ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        JCSystem.beginTransaction();
        st.revoke(Constants.EVENT_REVOKED_BY_TERMINAL);
        JCSystem.commitTransaction();
        st.finishClear();
        tr.session[Transients.S_AUTHENTICATED] = 0;
        crypto.clearSession();
        return sendNotification(buf);
    }

    /** The secured notification for the network (Fig. 1 step 28) with the last event, copied to buf. */
    private short sendNotification(byte[] buf) {
        short n = ota.notification((short) (st.eventRecord(tr.out, Transients.DATA_AT) - Transients.DATA_AT));
        Util.arrayCopyNonAtomic(tr.out, (short) 0, buf, (short) 0, n);
        return n;
    }
}
