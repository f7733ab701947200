package dev.cardsmith.applet.psd;

import dev.cardsmith.applet.platform.ApduIo;
import dev.cardsmith.applet.platform.Bytes;
import dev.cardsmith.applet.platform.CommandTable;
import dev.cardsmith.applet.platform.InstallParams;
import dev.cardsmith.applet.platform.Sw;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * Personal security device (seed 001): a non-mutable unique ID, a security executive
 * (locked / unlocked / blocked) guarding two high-level key slots - slot 1 the master key
 * replacement key (KRK), slot 2 the master key (MK) key set K-ENC/K-MAC/K-DEK - a one-time
 * initial injection under a transport key, an SCP03 secure channel keyed by the MK key set,
 * unlock by proof of the KRK, and atomic master key replacement delivered under a key only the
 * KRK holder can derive. Protocol: docs/psd.md.
 *
 * <p>Install parameters (GP tag C9): transport key (16 bytes) [|| unique ID (8..16 bytes)];
 * without an ID the card generates a 16-byte random one. Package F043534D5401, instance
 * F043534D540101.
 */
public final class PsdApplet extends Applet {

    private final Persistent p;
    private final Crypto crypto;
    private final SecureChannel sc;
    private final ApduIo io;
    private final CommandTable commands;
    /** [0] executive unlocked (CLEAR_ON_DESELECT: a tear, reset or deselect relocks). */
    private final byte[] exec;

    private PsdApplet(byte[] params, short off, byte len) {
        if (len != PsdProtocol.TRANSPORT_KEY_LEN
                && (len < (short) (PsdProtocol.TRANSPORT_KEY_LEN + PsdProtocol.ID_MIN) || len > (short) (PsdProtocol.TRANSPORT_KEY_LEN + PsdProtocol.ID_MAX))) {
            ISOException.throwIt(PsdProtocol.SW_WRONG_DATA);
        }
        p = new Persistent();
        crypto = new Crypto();
        sc = new SecureChannel(crypto);
        io = new ApduIo((short) 0);
        commands = new CommandTable(PsdProtocol.COMMANDS);
        exec = JCSystem.makeTransientByteArray((short) 1, JCSystem.CLEAR_ON_DESELECT);
        byte[] idBuf = crypto.scratch;
        byte idLen;
        if (len == PsdProtocol.TRANSPORT_KEY_LEN) {
            idLen = (byte) PsdProtocol.ID_GENERATED_LEN;
            crypto.random.generateData(idBuf, Crypto.S_MISC, PsdProtocol.ID_GENERATED_LEN);
        } else {
            idLen = (byte) (len - PsdProtocol.TRANSPORT_KEY_LEN);
            Util.arrayCopyNonAtomic(params, (short) (off + PsdProtocol.TRANSPORT_KEY_LEN), idBuf, Crypto.S_MISC, idLen);
        }
        p.install(idBuf, Crypto.S_MISC, idLen, params, off);
        Util.arrayFillNonAtomic(idBuf, Crypto.S_MISC, (short) 16, (byte) 0);
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        short paramOff = InstallParams.paramsOffset(bArray, bOffset, bLength);
        byte paramLen = (byte) InstallParams.paramsLength(bArray, bOffset, bLength);
        new PsdApplet(bArray, paramOff, paramLen)
                .register(bArray, InstallParams.aidOffset(bArray, bOffset), InstallParams.aidLength(bArray, bOffset));
    }

    @Override
    public boolean select() {
        sc.close();
        exec[0] = 0;
        p.cleanUp();
        return true;
    }

    @Override
    public void deselect() {
        sc.close();
        exec[0] = 0;
    }

    @Override
    public void process(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        if (selectingApplet()) {
            apdu.setOutgoingAndSend((short) 0, fci(buf));
            return;
        }
        try {
            if (io.begin(apdu)) return;
            dispatch(apdu, buf);
        } catch (RuntimeException e) {
            // the one exception policy (docs/conventions.md): refusals keep their SW, anything else is 6F01
            short sw = Sw.forException(e);
            crypto.cmac.clear();
            ISOException.throwIt(sw);
        } finally {
            crypto.wipeKey();
            // the executive is unlocked only inside the session that unlocked it
            if (!sc.authenticated()) exec[0] = 0;
        }
    }

    private void dispatch(APDU apdu, byte[] buf) {
        byte cla = buf[ISO7816.OFFSET_CLA];
        byte ins = buf[ISO7816.OFFSET_INS];
        byte base = (byte) (cla & (byte) 0xF0);
        if (base != PsdProtocol.CLA_GP && base != PsdProtocol.CLA_ISO) {
            ISOException.throwIt(PsdProtocol.SW_CLA_NOT_SUPPORTED);
        }
        boolean secured = (cla & (byte) 0x04) != 0;
        commands.check(ins, p.state());
        // GET DATA is case 2 (P3 = Le): receiving would read Le as Lc on T=0
        short lc = 0;
        if (ins != PsdProtocol.INS_GET_DATA) lc = io.receive(apdu, (short) 0, (short) 255, false);
        if (!secured && sc.authenticated() && ins != PsdProtocol.INS_GET_DATA) {
            // a plain command in the middle of a session ends the session (GP CS 10.2)
            sc.close();
            exec[0] = 0;
        }
        switch (ins) {
            case PsdProtocol.INS_GET_DATA:
                if (secured) ISOException.throwIt(PsdProtocol.SW_CLA_NOT_SUPPORTED);
                if (buf[ISO7816.OFFSET_P1] != PsdProtocol.P1_STATUS || buf[ISO7816.OFFSET_P2] != PsdProtocol.P2_STATUS) {
                    ISOException.throwIt(PsdProtocol.SW_INCORRECT_P1P2);
                }
                apdu.setOutgoingAndSend((short) 0, status(buf, (short) 0));
                return;
            case PsdProtocol.INS_INJECT_KEYS:
                if (secured || cla != PsdProtocol.CLA_GP) ISOException.throwIt(PsdProtocol.SW_CLA_NOT_SUPPORTED);
                injectKeys(buf, lc);
                return;
            case PsdProtocol.INS_INITIALIZE_UPDATE:
                if (secured || cla != PsdProtocol.CLA_GP) ISOException.throwIt(PsdProtocol.SW_CLA_NOT_SUPPORTED);
                initializeUpdate(apdu, buf, lc);
                return;
            case PsdProtocol.INS_EXTERNAL_AUTHENTICATE:
                // a failed EXTERNAL AUTHENTICATE ends the session (also the one INITIALIZE UPDATE prepared)
                if (cla != PsdProtocol.CLA_GP_SM) {
                    sc.close();
                    ISOException.throwIt(PsdProtocol.SW_CLA_NOT_SUPPORTED);
                }
                if (buf[ISO7816.OFFSET_P2] != 0) {
                    sc.close();
                    ISOException.throwIt(PsdProtocol.SW_INCORRECT_P1P2);
                }
                sc.externalAuthenticate(buf, lc);
                return;
            case PsdProtocol.INS_UNLOCK:
                unlock(apdu, buf, lc, secured);
                return;
            case PsdProtocol.INS_REPLACE_MK:
                replaceMk(apdu, buf, lc, secured);
                return;
            default: // INS_CHANGE_KRK: the table has no other row
                changeKrk(apdu, buf, lc, secured);
        }
    }

    /** The public status at buf[off]; returns its length (at most 6 + 16 bytes). */
    private short status(byte[] buf, short off) {
        buf[off] = p.state();
        buf[(short) (off + 1)] = p.vars[Persistent.V_TRIES] == 0 ? PsdProtocol.EXEC_BLOCKED : (exec[0] != 0 ? PsdProtocol.EXEC_UNLOCKED : PsdProtocol.EXEC_LOCKED);
        buf[(short) (off + 2)] = p.vars[Persistent.V_MK_KVN];
        buf[(short) (off + 3)] = p.vars[Persistent.V_KRK_KVN];
        buf[(short) (off + 4)] = p.vars[Persistent.V_TRIES];
        byte idLen = p.vars[Persistent.V_ID_LEN];
        buf[(short) (off + 5)] = idLen;
        Util.arrayCopyNonAtomic(p.id, (short) 0, buf, (short) (off + PsdProtocol.STATUS_FIXED_LEN), idLen);
        return (short) (PsdProtocol.STATUS_FIXED_LEN + idLen);
    }

    /** SELECT response: 6F L { 84 L instance AID, 85 L status } (every length below 128). */
    private short fci(byte[] buf) {
        short o = 2;
        buf[o++] = PsdProtocol.TAG_DF_NAME;
        byte aidLen = JCSystem.getAID().getBytes(buf, (short) (o + 1));
        buf[o++] = aidLen;
        o += aidLen;
        buf[o++] = PsdProtocol.TAG_PROPRIETARY;
        short statusLen = status(buf, (short) (o + 1));
        buf[o++] = (byte) statusLen;
        o += statusLen;
        buf[0] = PsdProtocol.TAG_FCI;
        buf[1] = (byte) (o - 2);
        return o;
    }

    private static boolean validKvn(byte kvn) {
        return kvn >= 1; // 01..7F (bytes are signed: 80..FF are negative)
    }

    /**
     * INJECT KEYS (claims 8-14): once, under the transport key, then the transport key is wiped.
     * Data: KRK version | KRK | MK version | K-ENC | K-MAC | K-DEK, each key RFC 3394-wrapped
     * under the transport key; all four are unwrapped, checked and found pairwise distinct
     * before any key object is written.
     */
    private void injectKeys(byte[] buf, short lc) {
        if (buf[ISO7816.OFFSET_P1] != 0 || buf[ISO7816.OFFSET_P2] != 0) ISOException.throwIt(PsdProtocol.SW_INCORRECT_P1P2);
        if (!p.transportKey.isInitialized()) {
            ISOException.throwIt(PsdProtocol.SW_CONDITIONS_NOT_SATISFIED);
        }
        if (lc != PsdProtocol.INJECT_LEN) ISOException.throwIt(PsdProtocol.SW_WRONG_LENGTH);
        short o = ISO7816.OFFSET_CDATA;
        byte krkKvn = buf[o];
        byte mkKvn = buf[(short) (o + 1 + PsdProtocol.WRAPPED_KEY_LEN)];
        if (!validKvn(krkKvn) || !validKvn(mkKvn)) ISOException.throwIt(PsdProtocol.SW_WRONG_DATA);
        // validate everything before writing anything
        boolean ok = crypto.unwrapKeySet(p.transportKey, buf, (short) (o + 2 + PsdProtocol.WRAPPED_KEY_LEN));
        ok = crypto.unwrap16(p.transportKey, buf, (short) (o + 1), Crypto.K_KRK) & ok;
        if (!ok || !crypto.distinct(Crypto.K_KRK)) ISOException.throwIt(PsdProtocol.SW_WRONG_DATA);
        // not reachable before the state flips: a tear here leaves an INSTALLED card that accepts the injection again
        p.loadInactive(crypto.scratch); // the inactive set; the transaction below makes it the active one
        p.inactiveKrk().setKey(crypto.scratch, Crypto.K_KRK);
        crypto.wipeKey();
        JCSystem.beginTransaction();
        p.vars[Persistent.V_KRK_KVN] = krkKvn;
        p.vars[Persistent.V_MK_KVN] = mkKvn;
        p.vars[Persistent.V_ACTIVE] = (byte) (p.vars[Persistent.V_ACTIVE] ^ 1);
        p.vars[Persistent.V_KRK_ACTIVE] = (byte) (p.vars[Persistent.V_KRK_ACTIVE] ^ 1);
        p.vars[Persistent.V_TRIES] = PsdProtocol.KRK_TRIES;
        p.vars[Persistent.V_STATE] = PsdProtocol.STATE_ISSUED;
        JCSystem.commitTransaction();
        p.cleanUp(); // one-time: the transport key is gone
    }

    private void initializeUpdate(APDU apdu, byte[] buf, short lc) {
        byte kvn = buf[ISO7816.OFFSET_P1];
        if (buf[ISO7816.OFFSET_P2] != 0) ISOException.throwIt(PsdProtocol.SW_INCORRECT_P1P2);
        if (kvn != 0 && kvn != p.vars[Persistent.V_MK_KVN]) ISOException.throwIt(PsdProtocol.SW_REFERENCED_DATA_NOT_FOUND);
        exec[0] = 0;
        short len = sc.initializeUpdate(p.activeEnc(), p.activeMac(), p.vars[Persistent.V_MK_KVN], p.divData, buf, ISO7816.OFFSET_CDATA, lc);
        apdu.setOutgoingAndSend((short) 0, len);
    }

    /**
     * UNLOCK (claims 22-23), P1 = 00: proof = SCP03-KDF(KRK, 70, 128, host challenge || card
     * challenge), counted: a wrong proof answers 63Cx (x = tries left), a non-error status word
     * that inside an R-MAC session carries an R-MAC (GP Amendment D 6.2.5); at 0 tries the
     * executive is blocked (6983).
     * <p>RECOVER, P1 = 01, only while blocked: proof = SCP03-KDF(KRK, 72, 128, challenges). Right:
     * tries back to 3 and unlocked. Wrong: 6982 and the session ends, so every guess costs the
     * guesser a full SCP03 handshake with the MK; nothing is counted, so whoever blocked the
     * executive (a holder of an old MK guessing proofs) cannot make the block permanent.
     */
    private void unlock(APDU apdu, byte[] buf, short lc, boolean secured) {
        if (!secured || !sc.authenticated()) ISOException.throwIt(PsdProtocol.SW_SECURITY_NOT_SATISFIED);
        short n = sc.unwrapCommand(buf, lc);
        byte p1 = buf[ISO7816.OFFSET_P1];
        if ((p1 != PsdProtocol.P1_UNLOCK && p1 != PsdProtocol.P1_RECOVER) || buf[ISO7816.OFFSET_P2] != 0) ISOException.throwIt(PsdProtocol.SW_INCORRECT_P1P2);
        if (n != PsdProtocol.PROOF_LEN) ISOException.throwIt(PsdProtocol.SW_WRONG_LENGTH);
        byte tries = p.vars[Persistent.V_TRIES];
        if (p1 == PsdProtocol.P1_RECOVER) {
            if (tries > 0) ISOException.throwIt(PsdProtocol.SW_CONDITIONS_NOT_SATISFIED);
            if (!proofMatches(PsdProtocol.DC_RECOVERY_PROOF, buf)) {
                sc.close();
                ISOException.throwIt(PsdProtocol.SW_SECURITY_NOT_SATISFIED);
            }
        } else {
            if (tries <= 0) ISOException.throwIt(PsdProtocol.SW_AUTH_BLOCKED);
            // decrement first (a single-byte write is atomic): a tear during the check costs a try
            p.vars[Persistent.V_TRIES] = (byte) (tries - 1);
            if (!proofMatches(PsdProtocol.DC_UNLOCK_PROOF, buf)) {
                exec[0] = 0;
                sc.sendWarning(apdu, (short) (PsdProtocol.SW_WRONG_PROOF_BASE | (tries - 1)));
            }
        }
        p.vars[Persistent.V_TRIES] = PsdProtocol.KRK_TRIES;
        exec[0] = PsdProtocol.EXEC_UNLOCKED;
        sc.send(apdu, (short) 0);
    }

    /** Whether the 16 bytes at OFFSET_CDATA are SCP03-KDF(KRK, constant, 128, session context). */
    private boolean proofMatches(byte constant, byte[] buf) {
        crypto.kdf(p.activeKrk(), constant, (short) 128, sc.context(), (short) 0, (short) 16, crypto.scratch, Crypto.S_KEY);
        boolean ok = Bytes.equal(crypto.scratch, Crypto.S_KEY, buf, ISO7816.OFFSET_CDATA, PsdProtocol.PROOF_LEN);
        crypto.wipeKey();
        return ok;
    }

    /**
     * The checks REPLACE MK and CHANGE KRK share, in this order: a secured command in an
     * authenticated session (C-MAC checked, C-DECRYPTION removed), C-DECRYPTION in the level, the
     * executive unlocked, P1P2 00 00, the plain length {@code len}, a new key version above the one
     * in {@code vars[kvnVar]}. Then derives this session's replacement KEK into crypto.kek.
     * Returns the new key version (data byte 0; the wrapped key(s) follow).
     */
    private byte keyDelivery(byte[] buf, short lc, boolean secured, short len, short kvnVar) {
        if (!secured || !sc.authenticated()) ISOException.throwIt(PsdProtocol.SW_SECURITY_NOT_SATISFIED);
        short n = sc.unwrapCommand(buf, lc);
        if ((sc.level() & PsdProtocol.SL_C_DEC) == 0) ISOException.throwIt(PsdProtocol.SW_SECURITY_NOT_SATISFIED);
        if (exec[0] != PsdProtocol.EXEC_UNLOCKED) ISOException.throwIt(PsdProtocol.SW_SECURITY_NOT_SATISFIED);
        if (buf[ISO7816.OFFSET_P1] != 0 || buf[ISO7816.OFFSET_P2] != 0) ISOException.throwIt(PsdProtocol.SW_INCORRECT_P1P2);
        if (n != len) ISOException.throwIt(PsdProtocol.SW_WRONG_LENGTH);
        byte newKvn = buf[ISO7816.OFFSET_CDATA];
        if (!validKvn(newKvn) || newKvn <= p.vars[kvnVar]) ISOException.throwIt(PsdProtocol.SW_WRONG_DATA);
        crypto.deriveReplacementKek(p.activeKrk(), sc.context(), (short) 0, (short) (2 * PsdProtocol.CHALLENGE_LEN));
        return newKvn;
    }

    /**
     * REPLACE MK (claims 24-26): delete the active MK key set, install the new one, relock. The
     * new K-ENC, K-MAC and K-DEK arrive RFC 3394-wrapped under the replacement KEK, derived from
     * the KRK and both challenges of this session (so neither the old key set nor another session
     * opens them), inside C-DECRYPTION. All three unwraps are checked before any key object is
     * written. Commit point: one transaction flips the active key set and its version; the old set
     * is unreachable from that instant and wiped right after (or on the next SELECT after a tear).
     * The secure channel is released afterwards: its session keys came from the old key set.
     */
    private void replaceMk(APDU apdu, byte[] buf, short lc, boolean secured) {
        byte newKvn = keyDelivery(buf, lc, secured, PsdProtocol.REPLACE_LEN, Persistent.V_MK_KVN);
        if (!crypto.unwrapKeySet(crypto.kek, buf, (short) (ISO7816.OFFSET_CDATA + 1))) ISOException.throwIt(PsdProtocol.SW_WRONG_DATA);
        p.loadInactive(crypto.scratch);
        crypto.wipeKey();
        JCSystem.beginTransaction();
        p.vars[Persistent.V_ACTIVE] = (byte) (p.vars[Persistent.V_ACTIVE] ^ 1);
        p.vars[Persistent.V_MK_KVN] = newKvn;
        JCSystem.commitTransaction();
        p.clearInactive();
        relockAndConfirm(apdu, buf, newKvn);
    }

    /** After a key delivery committed: relock, answer the new version (R-ENC, R-MAC) and release the channel (its keys came from the old set). */
    private void relockAndConfirm(APDU apdu, byte[] buf, byte newKvn) {
        exec[0] = PsdProtocol.EXEC_LOCKED;
        buf[0] = newKvn;
        sc.send(apdu, (short) 1);
        sc.close();
    }

    /**
     * CHANGE KRK (issue 12, moving a PSD to a new KRK version): inside an unlocked session with
     * C-DECRYPTION, the new KRK arrives RFC 3394-wrapped under the replacement KEK derived from the
     * current KRK and both challenges; the version must grow. Same commit discipline as REPLACE
     * MK: written to the inactive KRK object, one transaction flips it active with its version;
     * relock and release the channel.
     */
    private void changeKrk(APDU apdu, byte[] buf, short lc, boolean secured) {
        byte newKvn = keyDelivery(buf, lc, secured, PsdProtocol.CHANGE_KRK_LEN, Persistent.V_KRK_KVN);
        if (!crypto.unwrap16(crypto.kek, buf, (short) (ISO7816.OFFSET_CDATA + 1), Crypto.K_KRK)) ISOException.throwIt(PsdProtocol.SW_WRONG_DATA);
        p.inactiveKrk().setKey(crypto.scratch, Crypto.K_KRK);
        crypto.wipeKey();
        JCSystem.beginTransaction();
        p.vars[Persistent.V_KRK_ACTIVE] = (byte) (p.vars[Persistent.V_KRK_ACTIVE] ^ 1);
        p.vars[Persistent.V_KRK_KVN] = newKvn;
        p.vars[Persistent.V_TRIES] = PsdProtocol.KRK_TRIES;
        JCSystem.commitTransaction();
        p.clearInactiveKrk();
        relockAndConfirm(apdu, buf, newKvn);
    }
}
