package dev.cardsmith.applet.sim;

import dev.cardsmith.applet.platform.P256;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.platform.Tlv;
import javacard.framework.ISOException;
import javacard.framework.Util;
import javacard.security.CryptoException;

/**
 * The compact remote commands of a verified command packet (TS 102 226 5.1.1; docs/ota.md 2.2):
 * SET_DATE, INIT_TRUST, REVOKE, LICENSE, STATUS, REQUEST_UPDATE, SIM_KEY. {@link OtaReceiver} calls
 * {@link #stage} for every command before the packet's transaction - the only place a key is
 * written: INIT_TRUST's into the init staging slot, a LICENSE put's into a free license slot,
 * both unreachable until the transaction flips a slot byte or a licUsed flag - and
 * {@link #execute} inside it. Nothing here calls back into the receiver or the applet.
 */
final class OtaCommands {

    private final State st;
    private final Transients tr;
    private final Tlv tlv;
    private final SimIdentity identity;

    OtaCommands(State st, Transients tr, Tlv tlv, SimIdentity identity) {
        this.st = st;
        this.tr = tr;
        this.tlv = tlv;
        this.identity = identity;
    }

    // ------------------------------------------------------------------ before the transaction

    /** Forgets what the previous packet staged; called before the first {@link #stage}. */
    void beginPacket() {
        tr.ota[Transients.O_INIT_STAGED] = Transients.INIT_NOT_STAGED;
        tr.shorts[Transients.LIC_STAGED] = 0;
    }

    /**
     * Before the packet's transaction, for each compact command in order: writes the key of the
     * packet's first INIT_TRUST and of each LICENSE put into storage the committed state does not
     * use. Malformed or unsecured commands stage nothing; {@link #execute} reports them.
     */
    void stage(byte ins, byte p1, byte[] b, short off, short len) {
        if (tr.ota[Transients.O_PACKET_CIPHERED] == 0) return;
        if (ins == Constants.INS_OTA_INIT_TRUST && tr.ota[Transients.O_INIT_STAGED] == Transients.INIT_NOT_STAGED) {
            stageInitTrust(b, off, len);
        } else if (ins == Constants.INS_OTA_LICENSE && p1 == Constants.P1_LICENSE_PUT && len == LICENSE_PUT_LEN) {
            stageLicense(b, off);
        } else if (ins == Constants.INS_OTA_SIM_KEY && p1 == Constants.P1_SIM_KEY_CERTIFY) {
            identity.stage(b, off, len);
        }
    }

    /**
     * INIT_TRUST: the new initialization key goes into the staging init slot, so a tear here leaves
     * the old initialization whole (and the counter unused: the network repeats the packet).
     */
    private void stageInitTrust(byte[] b, short off, short len) {
        tr.ota[Transients.O_INIT_STAGED] = Transients.INIT_REJECTED;
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
            return;
        }
        tr.ota[Transients.O_INIT_STAGED] = Transients.INIT_STAGED;
    }

    /** LICENSE put: the content key goes into the lowest free slot not staged yet (licUsed stays 0). */
    private void stageLicense(byte[] b, short off) {
        short staged = tr.shorts[Transients.LIC_STAGED];
        for (short i = 0; i < State.LIC_SLOTS; i++) {
            if (st.licUsed[i] != 0 || (staged & (short) (1 << i)) != 0) continue;
            if (!st.clearPending) st.clearPending = true; // a tear after setKey: the next command clears the slot
            st.licKey[i].setKey(b, (short) (off + 2));
            tr.shorts[Transients.LIC_STAGED] = (short) (staged | (short) (1 << i));
            return;
        }
    }

    /** The lowest slot staged for this packet (taken: each LICENSE put consumes one in order), or -1. */
    private short takeStagedLicense() {
        short staged = tr.shorts[Transients.LIC_STAGED];
        for (short i = 0; i < State.LIC_SLOTS; i++) {
            short bit = (short) (1 << i);
            if ((staged & bit) != 0) {
                tr.shorts[Transients.LIC_STAGED] = (short) (staged & (short) ~bit);
                return i;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ inside the transaction

    /**
     * One compact remote command; runs inside the packet's transaction and validates everything
     * before its first write. Returns the response length written at out[outOff].
     */
    short execute(byte ins, byte p1, byte[] b, short off, short len, byte[] out, short outOff) {
        switch (ins) {
            case Constants.INS_OTA_SET_DATE:
                if (len != 2) ISOException.throwIt(Sw.WRONG_LENGTH);
                st.advanceDate(Util.getShort(b, off));
                return 0;
            case Constants.INS_OTA_INIT_TRUST:
                requireCiphered();
                initTrust(b, off, len);
                out[outOff] = st.trustState;
                return 1;
            case Constants.INS_OTA_REVOKE:
                if (len != 0) ISOException.throwIt(Sw.WRONG_LENGTH);
                if (st.trustState == Constants.STATE_EMPTY) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
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
            case Constants.INS_OTA_SIM_KEY:
                requireCiphered();
                return identity.remote(p1, b, off, len, out, outOff);
            case Constants.INS_OTA_REQUEST_UPDATE:
                if (st.trustState != Constants.STATE_TRUSTED) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
                st.updateRequested = true;
                out[outOff] = st.flags();
                return 1;
            default:
                ISOException.throwIt(Sw.INS_NOT_SUPPORTED);
                return 0;
        }
    }

    /** Commands that carry keys are refused unless the packet is ciphered and checksummed, whatever the MSL allows. */
    private void requireCiphered() {
        if (tr.ota[Transients.O_PACKET_CIPHERED] == 0) ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
    }

    /**
     * INIT_TRUST TLVs (strict BER-TLV, one-byte tags) 80 key type, 81 key, 82 IMEI, 83 max output,
     * 84 expiry, 85 lifetime, [86 date]: checks everything - an EC key must be a P-256 point on the
     * curve - and leaves the value offsets in tr.shorts[F_*] (F_DATE -1 when absent).
     */
    private void parseInitTrust(byte[] b, short off, short len) {
        short[] f = tr.shorts;
        for (short i = Transients.F_TYPE; i <= Transients.F_DATE; i++) f[i] = -1;
        f[Transients.F_KEY_LEN] = 0;
        tlv.start(b, off, len);
        while (tlv.next()) {
            short l = tlv.length();
            short tag = tlv.tag();
            if ((short) (tag & (short) 0xFF00) != 0) ISOException.throwIt(Sw.WRONG_DATA); // two-byte tags: none here
            short slot;
            short want;
            switch ((byte) tag) {
                case Constants.TAG_KEY_TYPE: slot = Transients.F_TYPE; want = 1; break;
                case Constants.TAG_AUTH_KEY: slot = Transients.F_KEY; want = l; f[Transients.F_KEY_LEN] = l; break;
                case Constants.TAG_IMEI: slot = Transients.F_IMEI; want = Constants.IMEI_LEN; break;
                case Constants.TAG_MAX_OUTPUT: slot = Transients.F_MAX_OUT; want = 1; break;
                case Constants.TAG_EXPIRY: slot = Transients.F_EXP; want = 2; break;
                case Constants.TAG_LIFETIME: slot = Transients.F_LIFE; want = 2; break;
                case Constants.TAG_CURRENT_DATE: slot = Transients.F_DATE; want = 2; break;
                default: ISOException.throwIt(Sw.WRONG_DATA); return;
            }
            if (l != want) ISOException.throwIt(Sw.WRONG_DATA);
            f[slot] = tlv.valueOffset();
        }
        tlv.finish();
        for (short i = Transients.F_TYPE; i < Transients.F_DATE; i++) {
            if (f[i] < 0) ISOException.throwIt(Sw.WRONG_DATA);
        }
        byte kt = b[f[Transients.F_TYPE]];
        short keyLen = f[Transients.F_KEY_LEN];
        if (kt == Constants.KEY_TYPE_AES128) {
            if (keyLen != Constants.KEY_LEN) ISOException.throwIt(Sw.WRONG_DATA);
        } else if (kt == Constants.KEY_TYPE_EC_P256) {
            P256.checkPoint(b, f[Transients.F_KEY], keyLen, tr.scratch, (short) 0);
        } else {
            ISOException.throwIt(Sw.WRONG_DATA);
        }
        if (Util.getShort(b, f[Transients.F_LIFE]) <= 0) ISOException.throwIt(Sw.WRONG_DATA);
        // the IMEI as the handset will answer PROVIDE LOCAL INFORMATION: TS 24.008 mobile identity
        if (!State.isImei(b, f[Transients.F_IMEI])) ISOException.throwIt(Sw.WRONG_DATA);
    }

    /**
     * INIT_TRUST (Fig. 1 steps 20-22): the key was staged before the transaction; this only flips
     * the init slot together with key type, IMEI, max output, expiry, lifetime and state - short,
     * transactional writes. The old trust and init keys become unreachable and are cleared after
     * the commit (State.finishClear).
     */
    private void initTrust(byte[] b, short off, short len) {
        byte staged = tr.ota[Transients.O_INIT_STAGED];
        if (staged != Transients.INIT_STAGED) {
            parseInitTrust(b, off, len); // reports what is malformed
            if (staged == Transients.INIT_REJECTED) ISOException.throwIt(Sw.WRONG_DATA);
            ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED); // one INIT_TRUST per packet
        }
        tr.ota[Transients.O_INIT_STAGED] = Transients.INIT_NOT_STAGED; // the offsets below are the staged command's
        short[] f = tr.shorts;
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

    /** id(2) key(16) plays(2) valid-from(2) valid-until(2) */
    private static final short LICENSE_PUT_LEN = 24;

    /**
     * LICENSE put: the content key is already in a staged free slot (see {@link #stage}); this
     * sets its rights and licUsed and releases a replaced license's slot. Delete: id(2).
     */
    private void license(byte p1, byte[] b, short off, short len) {
        if (p1 == Constants.P1_LICENSE_PUT) {
            if (len != LICENSE_PUT_LEN) ISOException.throwIt(Sw.WRONG_LENGTH);
            short id = Util.getShort(b, off);
            short old = st.findLicense(id);
            if (old < 0 && st.licenseCount() >= Constants.LICENSE_SLOTS) ISOException.throwIt(Sw.NOT_ENOUGH_MEMORY);
            short i = takeStagedLicense();
            if (i < 0) ISOException.throwIt(Sw.NOT_ENOUGH_MEMORY); // no free slot was left to stage the key in
            st.licId[i] = id;
            st.licPlays[i] = Util.getShort(b, (short) (off + 18));
            st.licFrom[i] = Util.getShort(b, (short) (off + 20));
            st.licUntil[i] = Util.getShort(b, (short) (off + 22));
            st.licUsed[i] = 1;
            if (old >= 0) {
                st.licUsed[old] = 0;
                st.clearPending = true; // its key object is cleared after the commit (State.finishClear)
            }
        } else if (p1 == Constants.P1_LICENSE_DELETE) {
            if (len != 2) ISOException.throwIt(Sw.WRONG_LENGTH);
            short i = st.findLicense(Util.getShort(b, off));
            if (i < 0) ISOException.throwIt(Sw.REFERENCED_DATA_NOT_FOUND);
            st.licUsed[i] = 0;
            st.clearPending = true; // its key object is cleared after the commit (State.finishClear)
        } else {
            ISOException.throwIt(Sw.INCORRECT_P1P2);
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
        o = st.eventRecord(out, o);
        return (short) (o - start);
    }
}
