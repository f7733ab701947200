package dev.cardsmith.applet.sim;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacard.security.ECPublicKey;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * The SIM side of seed 004: a trust relationship between the identification module and a
 * terminal, driven by the network's OTA server.
 *
 * <ul>
 * <li>OTA (Fig. 1 steps 20-22): secured packets carry INIT_TRUST (authentication key, IMEI,
 * maximum output, expiry), REVOKE, LICENSE, SET_DATE, STATUS, REQUEST_UPDATE.</li>
 * <li>Terminal (Fig. 2): GET CHALLENGE, AUTHENTICATE (response compared on the SIM + IMEI
 * control), trust key generated here and sent encrypted (Fig. 1 step 25/26), ACK (27) answered
 * by a secured notification for the OTA server (28).</li>
 * <li>Update before expiry (Fig. 3), revocation by SIM / network / terminal, DRM content keys
 * released only to an authenticated, trusted, unexpired, unrevoked terminal within the rights.</li>
 * </ul>
 * Install parameters (C9): KIc index, KIc, KID index, KID, TAR, MSL - or nothing, then the one-time
 * PERSONALIZE command sets them.
 */
public final class SimApplet extends Applet {

    private final State st;
    private final Crypto crypto;
    private final Transients tr;
    private final OtaReceiver ota;

    private SimApplet(byte[] params, short off, short len) {
        Curve curve = new Curve();
        st = new State(curve);
        crypto = new Crypto(curve);
        tr = new Transients();
        ota = new OtaReceiver(st, crypto, tr, this);
        if (len == Constants.INSTALL_PARAMS_LEN) {
            personalize(params, off);
        } else if (len != 0) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        short p = bOffset;
        short aidLen = (short) (bArray[p] & 0xFF);
        p = (short) (p + 1 + aidLen);
        p = (short) (p + 1 + (bArray[p] & 0xFF));
        short paramLen = (short) (bArray[p] & 0xFF);
        SimApplet a = new SimApplet(bArray, (short) (p + 1), paramLen);
        a.register(bArray, (short) (bOffset + 1), bArray[bOffset]);
    }

    private void personalize(byte[] b, short off) {
        byte alg = (byte) ((b[off] >> 4) & 0x0F);
        if (alg == 0) alg = Constants.KEY_ALG_AES;
        byte kidAlg = (byte) ((b[(short) (off + 17)] >> 4) & 0x0F);
        if (kidAlg == 0) kidAlg = Constants.KEY_ALG_AES;
        if (alg != kidAlg || (alg != Constants.KEY_ALG_AES && alg != Constants.KEY_ALG_3DES2)) ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        // keys first, outside the transaction (Key.setKey is not transactional on many cards):
        // nothing uses them until otaPersonalized commits below; a torn PERSONALIZE can be repeated
        if (alg == Constants.KEY_ALG_AES) {
            st.kic.setKey(b, (short) (off + 1));
            st.kid.setKey(b, (short) (off + 18));
        } else {
            st.kicDes.setKey(b, (short) (off + 1));
            st.kidDes.setKey(b, (short) (off + 18));
        }
        State.beginTransaction();
        st.otaAlgorithm = alg;
        st.kicIndex = (byte) (b[off] & 0x0F);
        st.kidIndex = (byte) (b[(short) (off + 17)] & 0x0F);
        Util.arrayCopy(b, (short) (off + 34), st.tar, (short) 0, Constants.TAR_LEN);
        st.msl = b[(short) (off + 37)];
        Util.arrayFillNonAtomic(st.counter, (short) 0, Constants.CNTR_LEN, (byte) 0);
        st.otaPersonalized = true;
        JCSystem.commitTransaction();
    }

    @Override
    public void deselect() {
        crypto.clearSession();
    }

    @Override
    public void process(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        st.finishClear(); // key objects a torn INIT_TRUST / revocation / ACK left to clear
        if (selectingApplet()) {
            // the SELECT answer carries a fresh challenge: a terminal saves the GET CHALLENGE round trip
            apdu.setOutgoingAndSend((short) 0, getChallenge(buf, (short) 0));
            return;
        }
        try {
            if (buf[ISO7816.OFFSET_CLA] != Constants.CLA_PROPRIETARY) ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
            dispatch(apdu, buf);
        } catch (ISOException e) {
            abort();
            throw e;
        } catch (CryptoException e) {
            // e.g. a key that a torn revocation left cleared: not usable in this state
            abort();
            ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        } catch (ArrayIndexOutOfBoundsException e) {
            abort();
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        } catch (RuntimeException e) {
            abort();
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
    }

    private static void abort() {
        if (JCSystem.getTransactionDepth() != 0) JCSystem.abortTransaction();
    }

    private void dispatch(APDU apdu, byte[] buf) {
        byte ins = buf[ISO7816.OFFSET_INS];
        // GET CHALLENGE, POLL and TERMINAL REVOKE are case 2 (P3 = Le): under T=0 receiving
        // would read Le as Lc and wait for data that never comes
        short len = 0;
        if (ins != Constants.INS_GET_CHALLENGE && ins != Constants.INS_POLL && ins != Constants.INS_TERMINAL_REVOKE) {
            len = receive(apdu, buf, ins);
        }
        short out;
        switch (ins) {
            case Constants.INS_ENVELOPE:
                out = tr.shorts[Transients.IN_SCRATCH] != 0
                        ? ota.envelope(tr.scratch, (short) 0, len, buf)
                        : ota.envelope(buf, ISO7816.OFFSET_CDATA, len, buf);
                break;
            case Constants.INS_GET_CHALLENGE:
                out = getChallenge(buf, len);
                break;
            case Constants.INS_AUTHENTICATE:
                out = authenticate(buf, len);
                break;
            case Constants.INS_ACK:
                out = ack(buf, len);
                break;
            case Constants.INS_POLL:
                out = poll(buf, len);
                break;
            case Constants.INS_GET_CONTENT_KEY:
                out = contentKey(buf, len);
                break;
            case Constants.INS_TERMINAL_REVOKE:
                out = terminalRevoke(buf, len);
                break;
            case Constants.INS_PERSONALIZE:
                if (st.otaPersonalized) ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
                if (len != Constants.INSTALL_PARAMS_LEN) ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
                personalize(buf, ISO7816.OFFSET_CDATA);
                out = 0;
                break;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
                return;
        }
        if (out > 0) apdu.setOutgoingAndSend((short) 0, out);
    }

    /**
     * Receives all Lc bytes and returns Lc. setIncomingAndReceive may deliver only the first part
     * (an APDU buffer or T=0 block smaller than the command); the rest comes with receiveBytes,
     * in a loop until Lc is in. Data that fits stays in the APDU buffer at OFFSET_CDATA; an
     * ENVELOPE that does not fit the buffer (only the SMS-PP download can be that long) is
     * streamed into tr.scratch (tr.shorts[IN_SCRATCH] = 1): not into the reassembly buffer rx,
     * which may hold the earlier segments of a concatenated SMS. Other commands longer than the
     * APDU buffer get 6700.
     */
    private short receive(APDU apdu, byte[] buf, byte ins) {
        tr.shorts[Transients.IN_SCRATCH] = 0;
        short got = apdu.setIncomingAndReceive();
        short lc = apdu.getIncomingLength();
        short off = apdu.getOffsetCdata();
        if ((short) (off + lc) <= (short) buf.length) {
            while (got < lc) {
                got += apdu.receiveBytes((short) (off + got));
            }
            return lc;
        }
        if (ins != Constants.INS_ENVELOPE || lc > Transients.SCRATCH_LEN) ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        byte[] ram = tr.scratch;
        short have = 0;
        while (true) {
            if ((short) (have + got) > lc) ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
            Util.arrayCopyNonAtomic(buf, off, ram, have, got);
            have += got;
            if (have >= lc) break;
            got = apdu.receiveBytes(off);
        }
        tr.shorts[Transients.IN_SCRATCH] = 1;
        return lc;
    }

    // ================================================================== terminal protocol

    /** Fig. 2 step 10 (also the SELECT answer): fresh challenge || state || generation || flags || key type. */
    private short getChallenge(byte[] buf, short len) {
        if (len != 0) ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
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
    private short poll(byte[] buf, short len) {
        if (len != 0) ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
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
     * trust enc key || trust mac key)(32) || CMAC8(S_mac, 'C' || challenge || gen || expiry || ct)].
     */
    private short authenticate(byte[] buf, short len) {
        byte p1 = buf[ISO7816.OFFSET_P1];
        if (p1 != Constants.P1_AUTH_PLAIN && p1 != Constants.P1_AUTH_UPDATE) ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        if (tr.session[Transients.S_CHALLENGE_VALID] == 0) ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        tr.session[Transients.S_CHALLENGE_VALID] = 0; // one attempt per challenge
        tr.session[Transients.S_AUTHENTICATED] = 0;
        byte state = st.trustState;
        if (state == Constants.STATE_REVOKED) ISOException.throwIt(Constants.SW_REVOKED);
        if (state != Constants.STATE_INITIALIZED && state != Constants.STATE_TRUSTED) ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        boolean asym = state == Constants.STATE_INITIALIZED && st.keyType == Constants.KEY_TYPE_EC_P256;
        short d = ISO7816.OFFSET_CDATA;
        short fixed = (short) (2 + Constants.IMEI_LEN + 1 + Constants.TERMINAL_NONCE_LEN);
        if (asym ? len < (short) (fixed + Constants.EC_POINT_LEN + 8) : len != (short) (fixed + Constants.PROOF_LEN)) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        // count the attempt before the comparison (a single-byte write, atomic): a tear while
        // the proof is checked must not give a free try; success resets the count below
        if (st.failCount >= Constants.MAX_AUTH_FAILURES && state == Constants.STATE_TRUSTED) {
            failed(); // a revocation a tear interrupted: finish it
            ISOException.throwIt(Constants.SW_REVOKED);
        }
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
            ok = crypto.ecdsa.verify(s, (short) 0, m, buf, sigOff, (short) (d + len - sigOff));
        } else {
            javacard.security.AESKey k = state == Constants.STATE_INITIALIZED ? st.initKey[st.initSlot] : st.trustMac[st.activeSlot];
            crypto.cmac(k, s, (short) 0, m, s, m);
            ok = Crypto.equal(s, m, buf, (short) (d + fixed), Constants.PROOF_LEN);
        }
        // Fig. 1 step 24 / Fig. 2: control of the terminal characteristics (IMEI, max output)
        if (ok) {
            ok = Util.arrayCompare(buf, (short) (d + 2), st.imei, (short) 0, Constants.IMEI_LEN) == 0
                    && buf[(short) (d + 2 + Constants.IMEI_LEN)] == st.maxOutput;
        }
        if (!ok) {
            failed();
            ISOException.throwIt(Constants.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        short date = Util.getShort(buf, d);
        // the terminal's nonce goes into the session keys: a recorded SIM session cannot be replayed to a terminal
        Util.arrayCopyNonAtomic(buf, (short) (d + 2 + Constants.IMEI_LEN + 1), tr.challenge, Constants.CHALLENGE_LEN, Constants.TERMINAL_NONCE_LEN);
        State.beginTransaction();
        st.failCount = 0;
        st.advanceDate(date);
        JCSystem.commitTransaction();
        if (st.expired()) ISOException.throwIt(Constants.SW_EXPIRED);

        // session keys
        if (asym) {
            deriveAsymmetricSession(buf, (short) (d + fixed));
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
            return o;
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
        State.beginTransaction();
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
        return o;
    }

    /** Failed authentication (already counted): the SIM revokes on its own initiative after MAX_AUTH_FAILURES. */
    private void failed() {
        State.beginTransaction();
        if (st.failCount >= Constants.MAX_AUTH_FAILURES && st.trustState == Constants.STATE_TRUSTED) {
            st.revoke(Constants.EVENT_REVOKED_BY_SIM);
        }
        JCSystem.commitTransaction();
        st.finishClear();
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
    private short ack(byte[] buf, short len) {
        if (len != (short) (1 + Constants.MAC8_LEN)) ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        if (!st.hasPending || st.trustState == Constants.STATE_REVOKED) ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        short d = ISO7816.OFFSET_CDATA;
        if (buf[d] != st.pendingGeneration) ISOException.throwIt(Constants.SW_WRONG_DATA);
        byte[] s = tr.scratch;
        short m = 0;
        s[m++] = Constants.LABEL_ACK;
        m = Util.arrayCopyNonAtomic(st.pendingNonce, (short) 0, s, m, Constants.CHALLENGE_LEN);
        s[m++] = st.pendingGeneration;
        byte slot = st.pendingSlot();
        crypto.cmac(st.trustMac[slot], s, (short) 0, m, s, m);
        if (!Crypto.equal(s, m, buf, (short) (d + 1), Constants.MAC8_LEN)) {
            ISOException.throwIt(Constants.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        State.beginTransaction();
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
        return ota.notification(buf, tr.out, eventRecord(tr.out, (short) 0));
    }

    /**
     * DRM (Figs. 4-5): content id(2) -> ENC(S_enc, id || plays left || 0^12 || content key) ||
     * CMAC8(S_mac, ciphertext). Only for an authenticated, trusted, unexpired, unrevoked
     * terminal, within the license's play count and validity window.
     */
    private short contentKey(byte[] buf, short len) {
        if (len != 2) ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        requireTrustedSession();
        short id = Util.getShort(buf, ISO7816.OFFSET_CDATA);
        short i = st.findLicense(id);
        if (i < 0) ISOException.throwIt(Constants.SW_REFERENCE_NOT_FOUND);
        if (st.currentDate < st.licFrom[i] || st.currentDate > st.licUntil[i]) ISOException.throwIt(Constants.SW_RIGHTS_EXHAUSTED);
        short plays = st.licPlays[i];
        if (plays == 0) ISOException.throwIt(Constants.SW_RIGHTS_EXHAUSTED);
        if (plays != Constants.UNLIMITED_PLAYS) {
            plays--;
            State.beginTransaction();
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
        if (st.trustState == Constants.STATE_REVOKED) ISOException.throwIt(Constants.SW_REVOKED);
        if (tr.session[Transients.S_AUTHENTICATED] == 0 || st.trustState != Constants.STATE_TRUSTED) {
            ISOException.throwIt(Constants.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        if (st.expired()) ISOException.throwIt(Constants.SW_EXPIRED);
    }

    /** Revocation on the terminal's initiative; returns the secured notification for the network. */
    private short terminalRevoke(byte[] buf, short len) {
        if (len != 0) ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        if (st.trustState == Constants.STATE_REVOKED) ISOException.throwIt(Constants.SW_REVOKED);
        if (tr.session[Transients.S_AUTHENTICATED] == 0) ISOException.throwIt(Constants.SW_SECURITY_STATUS_NOT_SATISFIED);
        State.beginTransaction();
        st.revoke(Constants.EVENT_REVOKED_BY_TERMINAL);
        JCSystem.commitTransaction();
        st.finishClear();
        tr.session[Transients.S_AUTHENTICATED] = 0;
        crypto.clearSession();
        return ota.notification(buf, tr.out, eventRecord(tr.out, (short) 0));
    }

    /** E0 06 type generation date(2) seq(2) */
    private short eventRecord(byte[] out, short o) {
        out[o++] = Constants.TAG_EVENT;
        out[o++] = 6;
        out[o++] = st.eventType;
        out[o++] = st.eventGeneration;
        o = Util.setShort(out, o, st.eventDate);
        o = Util.setShort(out, o, st.eventSeq);
        return o;
    }

    // ================================================================== OTA (remote) commands

    /**
     * One compact remote command from a verified command packet; runs inside the packet's
     * transaction, validates everything before its first write. Returns the response length
     * written at out[outOff].
     */
    short remote(byte ins, byte p1, byte[] b, short off, short len, byte[] out, short outOff) {
        switch (ins) {
            case Constants.INS_OTA_SET_DATE:
                if (len != 2) ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
                st.advanceDate(Util.getShort(b, off));
                return 0;
            case Constants.INS_OTA_INIT_TRUST:
                requireCiphered();
                initTrust(b, off, len);
                out[outOff] = st.trustState;
                return 1;
            case Constants.INS_OTA_REVOKE:
                if (len != 0) ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
                if (st.trustState == Constants.STATE_EMPTY) ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
                st.revoke(Constants.EVENT_REVOKED_BY_NETWORK);
                out[outOff] = st.trustState;
                return 1;
            case Constants.INS_OTA_LICENSE:
                if (p1 == Constants.P1_LICENSE_PUT) requireCiphered();
                license(p1, b, off, len);
                Util.setShort(out, outOff, st.licenseCount());
                return 2;
            case Constants.INS_OTA_STATUS:
                return status(out, outOff);
            case Constants.INS_OTA_REQUEST_UPDATE:
                if (st.trustState != Constants.STATE_TRUSTED) ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
                st.updateRequested = true;
                out[outOff] = st.flags();
                return 1;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
                return 0;
        }
    }

    /** Commands that carry keys are refused unless the packet is ciphered and checksummed, whatever the MSL allows. */
    private void requireCiphered() {
        if (tr.session[Transients.S_PACKET_CIPHERED] == 0) ISOException.throwIt(Constants.SW_SECURITY_STATUS_NOT_SATISFIED);
    }

    /**
     * INIT_TRUST TLVs 80 key type, 81 key, 82 IMEI, 83 max output, 84 expiry, 85 lifetime, [86 date]:
     * checks everything and leaves the value offsets in tr.shorts[F_*] (F_DATE -1 when absent).
     */
    private void parseInitTrust(byte[] b, short off, short len) {
        short[] f = tr.shorts;
        for (short i = Transients.F_TYPE; i <= Transients.F_DATE; i++) f[i] = -1;
        f[Transients.F_KEY_LEN] = 0;
        short end = (short) (off + len);
        short p = off;
        while (p < end) {
            if ((short) (p + 2) > end) ISOException.throwIt(Constants.SW_WRONG_DATA);
            byte tag = b[p];
            short l = (short) (b[(short) (p + 1)] & 0xFF);
            short v = (short) (p + 2);
            if ((short) (v + l) > end) ISOException.throwIt(Constants.SW_WRONG_DATA);
            short slot;
            short want;
            switch (tag) {
                case Constants.TAG_KEY_TYPE: slot = Transients.F_TYPE; want = 1; break;
                case Constants.TAG_AUTH_KEY: slot = Transients.F_KEY; want = l; f[Transients.F_KEY_LEN] = l; break;
                case Constants.TAG_IMEI: slot = Transients.F_IMEI; want = Constants.IMEI_LEN; break;
                case Constants.TAG_MAX_OUTPUT: slot = Transients.F_MAX_OUT; want = 1; break;
                case Constants.TAG_EXPIRY: slot = Transients.F_EXP; want = 2; break;
                case Constants.TAG_LIFETIME: slot = Transients.F_LIFE; want = 2; break;
                case Constants.TAG_CURRENT_DATE: slot = Transients.F_DATE; want = 2; break;
                default: ISOException.throwIt(Constants.SW_WRONG_DATA); return;
            }
            if (l != want) ISOException.throwIt(Constants.SW_WRONG_DATA);
            f[slot] = v;
            p = (short) (v + l);
        }
        for (short i = Transients.F_TYPE; i < Transients.F_DATE; i++) {
            if (f[i] < 0) ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
        byte kt = b[f[Transients.F_TYPE]];
        short key = f[Transients.F_KEY];
        short keyLen = f[Transients.F_KEY_LEN];
        if (kt == Constants.KEY_TYPE_AES128) {
            if (keyLen != Constants.KEY_LEN) ISOException.throwIt(Constants.SW_WRONG_DATA);
        } else if (kt == Constants.KEY_TYPE_EC_P256) {
            if (keyLen != Constants.EC_POINT_LEN || b[key] != 0x04) ISOException.throwIt(Constants.SW_WRONG_DATA);
        } else {
            ISOException.throwIt(Constants.SW_WRONG_DATA);
        }
        if (Util.getShort(b, f[Transients.F_LIFE]) <= 0) ISOException.throwIt(Constants.SW_WRONG_DATA);
    }

    /**
     * First step of INIT_TRUST, before the packet's transaction (OtaReceiver): the new
     * initialization key goes into the staging slot, which the committed state does not use, so a
     * tear here leaves the old initialization whole (and the counter unused: the network repeats
     * the packet). Key.setKey / setW are not transactional on many cards, hence outside it.
     * Malformed or unsecured commands stage nothing; {@link #initTrust} reports them.
     */
    void stageInitTrust(byte[] b, short off, short len) {
        tr.session[Transients.S_INIT_STAGED] = Transients.INIT_NOT_STAGED;
        if (tr.session[Transients.S_PACKET_CIPHERED] == 0) return;
        try {
            parseInitTrust(b, off, len);
        } catch (ISOException e) {
            return;
        }
        byte slot = st.stagingInitSlot();
        st.clearPending = true; // one atomic write: whatever happens next, the staging slot gets cleared
        short key = tr.shorts[Transients.F_KEY];
        try {
            if (b[tr.shorts[Transients.F_TYPE]] == Constants.KEY_TYPE_AES128) st.initKey[slot].setKey(b, key);
            else st.initPub[slot].setW(b, key, tr.shorts[Transients.F_KEY_LEN]);
        } catch (CryptoException e) {
            tr.session[Transients.S_INIT_STAGED] = Transients.INIT_REJECTED;
            return;
        }
        tr.session[Transients.S_INIT_STAGED] = Transients.INIT_STAGED;
    }

    /**
     * INIT_TRUST (Fig. 1 steps 20-22), inside the packet's transaction: the key was staged before
     * it (see stageInitTrust); this only flips the init slot together with key type, IMEI, max
     * output, expiry, lifetime and state - short, transactional writes. The old trust and init
     * keys become unreachable and are cleared after the commit (State.finishClear).
     */
    private void initTrust(byte[] b, short off, short len) {
        parseInitTrust(b, off, len);
        byte staged = tr.session[Transients.S_INIT_STAGED];
        tr.session[Transients.S_INIT_STAGED] = Transients.INIT_NOT_STAGED; // one INIT_TRUST per packet
        if (staged == Transients.INIT_REJECTED) ISOException.throwIt(Constants.SW_WRONG_DATA);
        if (staged != Transients.INIT_STAGED) ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        short[] f = tr.shorts;
        // all checked, key in the staging slot: flip
        st.eraseTrust();
        st.initSlot = st.stagingInitSlot();
        st.keyType = b[f[Transients.F_TYPE]];
        Util.arrayCopy(b, f[Transients.F_IMEI], st.imei, (short) 0, Constants.IMEI_LEN);
        st.maxOutput = b[f[Transients.F_MAX_OUT]];
        st.initExpiry = Util.getShort(b, f[Transients.F_EXP]);
        st.expiry = st.initExpiry;
        st.lifetime = Util.getShort(b, f[Transients.F_LIFE]);
        st.generation = 0;
        st.failCount = 0;
        st.trustState = Constants.STATE_INITIALIZED;
        if (f[Transients.F_DATE] >= 0) st.advanceDate(Util.getShort(b, f[Transients.F_DATE]));
        st.event(Constants.EVENT_INITIALIZED);
    }

    /** LICENSE put: id(2) key(16) plays(2) valid-from(2) valid-until(2); delete: id(2). */
    private void license(byte p1, byte[] b, short off, short len) {
        if (p1 == Constants.P1_LICENSE_PUT) {
            if (len != 24) ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
            short id = Util.getShort(b, off);
            short old = st.findLicense(id);
            if (old < 0 && st.licenseCount() >= Constants.LICENSE_SLOTS) ISOException.throwIt(Constants.SW_NOT_ENOUGH_MEMORY);
            // always a free slot (there is a spare one), also to replace a license: Key.setKey is
            // not transactional on many cards, so writing the key in place would let a tear pair
            // the new content key with the old rights; the old slot is released in the transaction
            short i = st.freeLicense();
            st.licId[i] = id;
            st.licKey[i].setKey(b, (short) (off + 2));
            st.licPlays[i] = Util.getShort(b, (short) (off + 18));
            st.licFrom[i] = Util.getShort(b, (short) (off + 20));
            st.licUntil[i] = Util.getShort(b, (short) (off + 22));
            st.licUsed[i] = 1;
            if (old >= 0) {
                st.licUsed[old] = 0;
                st.clearPending = true; // its key object is cleared after the commit (State.finishClear)
            }
        } else if (p1 == Constants.P1_LICENSE_DELETE) {
            if (len != 2) ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
            short i = st.findLicense(Util.getShort(b, off));
            if (i < 0) ISOException.throwIt(Constants.SW_REFERENCE_NOT_FOUND);
            st.licUsed[i] = 0;
            st.clearPending = true; // its key object is cleared after the commit (State.finishClear)
        } else {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
    }

    /** STATUS: state key-type generation flags expiry(2) date(2) fail-count licenses E0 06 event. */
    private short status(byte[] out, short o) {
        short start = o;
        out[o++] = st.trustState;
        out[o++] = st.keyType;
        out[o++] = st.generation;
        out[o++] = st.flags();
        o = Util.setShort(out, o, st.trustState == Constants.STATE_TRUSTED ? st.expiry : st.initExpiry);
        o = Util.setShort(out, o, st.currentDate);
        out[o++] = st.failCount;
        out[o++] = (byte) st.licenseCount();
        o = eventRecord(out, o);
        return (short) (o - start);
    }
}
