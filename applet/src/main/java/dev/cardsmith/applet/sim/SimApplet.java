package dev.cardsmith.applet.sim;

import dev.cardsmith.applet.platform.ApduIo;
import dev.cardsmith.applet.platform.Bytes;
import dev.cardsmith.applet.platform.CommandTable;
import dev.cardsmith.applet.platform.InstallParams;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.platform.Tlv;
import javacard.framework.AID;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Shareable;
import javacard.framework.Util;
import javacardx.crypto.Cipher;
import uicc.toolkit.ToolkitException;
import uicc.toolkit.ToolkitInterface;
import uicc.toolkit.ToolkitRegistry;
import uicc.toolkit.ToolkitRegistrySystem;
import uicc.usim.toolkit.ToolkitConstants;

/**
 * The SIM side of seed 004: a trust relationship between the identification module and a
 * terminal, driven by the network's OTA server.
 *
 * <ul>
 * <li>OTA (Fig. 1 steps 20-22): a UICC toolkit applet (ETSI TS 102 241) triggered by the card's
 * runtime with EVENT_UNFORMATTED_SMS_PP_ENV for the TAR of its install parameters; secured packets
 * (TS 102 225 / TS 31.115, checked here) carry INIT_TRUST (authentication key, IMEI, maximum
 * output, expiry), REVOKE, LICENSE, SET_DATE, STATUS, REQUEST_UPDATE ({@link ToolkitEvents}).</li>
 * <li>At power-up (EVENT_PROFILE_DOWNLOAD) the SIM reads the handset's IMEI itself with PROVIDE
 * LOCAL INFORMATION.</li>
 * <li>Terminal (Fig. 2): GET CHALLENGE, AUTHENTICATE (response compared on the SIM + IMEI
 * control), trust key generated here and sent encrypted (Fig. 1 step 25/26), ACK (27) answered
 * by a secured notification for the OTA server (28).</li>
 * <li>Update before expiry (Fig. 3), revocation by SIM / network / terminal, DRM content keys
 * released only to an authenticated, trusted, unexpired, unrevoked terminal within the rights.</li>
 * </ul>
 * Install parameters (C9): KIc index, KIc, KID index, KID, TAR, MSL - or nothing, then the one-time
 * PERSONALIZE command sets them.
 *
 * <p>The terminal protocol ({@link TerminalProtocol}) is reached by SELECT, on a handset through
 * OMAPI on a logical channel. Built on the platform layer: ApduIo, the dispatch table below, Sw
 * and its exception policy, AesCmac, P256, Tlv, Bytes. Calls go one way: SimApplet ->
 * {ToolkitEvents, TerminalProtocol} -> OtaReceiver -> OtaCommands; all of them use State,
 * Crypto, Transients.
 */
public final class SimApplet extends Applet implements ToolkitInterface {

    /**
     * Lifecycle state of the dispatch table: the trust state (0 empty, 1 initialized, 2 trusted,
     * 3 revoked) + 4 once the OTA key set is personalized. Masks: bit s = allowed in state s.
     */
    private static final byte PERSONALIZED = 4;
    private static final byte[] TABLE = {
        // INS                              allowed states                                         flags
        Constants.INS_GET_CHALLENGE,        CommandTable.ANY_STATE,                                0,
        Constants.INS_POLL,                 CommandTable.ANY_STATE,                                0,
        Constants.INS_GET_SIM_CERTIFICATE,  CommandTable.ANY_STATE,                                0,
        Constants.INS_AUTHENTICATE,         (byte) 0xEE, /* initialized, trusted, revoked (6983) */ 0,
        Constants.INS_ACK,                  (byte) 0x66, /* initialized, trusted */                0,
        Constants.INS_GET_CONTENT_KEY,      (byte) 0xCC, /* trusted, revoked (6983) */             0,
        Constants.INS_TERMINAL_REVOKE,      (byte) 0xEE, /* initialized, trusted, revoked (6983) */ 0,
        Constants.INS_PERSONALIZE,          (byte) 0x0F, /* not personalized (after: 6985) */      0,
    };
    /** Longest command data (short APDUs only: the ENVELOPE goes to the toolkit runtime, not here). */
    private static final short MAX_DATA = 255;
    /** TS 102 241 6.2: the CAT runtime asks for the ToolkitInterface with a null client AID and this parameter. */
    private static final byte TOOLKIT_SIO = 1;

    private final State st;
    private final Crypto crypto;
    private final Transients tr;
    private final TerminalProtocol terminal;
    private final SimIdentity identity;
    private final ToolkitEvents events;
    private final ApduIo io;
    private final CommandTable table;

    private SimApplet(byte[] params, short off, short len) {
        st = new State();
        crypto = new Crypto();
        tr = new Transients();
        SimIdentity identity = new SimIdentity(crypto);
        OtaReceiver ota = new OtaReceiver(st, crypto, tr, new OtaCommands(st, tr, new Tlv((short) 1, JCSystem.CLEAR_ON_RESET), identity));
        terminal = new TerminalProtocol(st, crypto, tr, ota, identity);
        this.identity = identity;
        events = new ToolkitEvents(st, tr, ota);
        io = new ApduIo(MAX_DATA);
        table = new CommandTable(TABLE);
        if (len == Constants.KEY_LEN) {
            // the transport key: PERSONALIZE later, under it (the personalization unit holds it)
            st.transportKey.setKey(params, off);
            st.hasTransportKey = true;
        } else if (len > Constants.KEY_LEN) {
            personalize(params, off, len);
        } else if (len != 0) {
            ISOException.throwIt(Sw.WRONG_DATA);
        }
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        SimApplet a = new SimApplet(bArray, InstallParams.paramsOffset(bArray, bOffset, bLength),
                InstallParams.paramsLength(bArray, bOffset, bLength));
        a.register(bArray, InstallParams.aidOffset(bArray, bOffset), InstallParams.aidLength(bArray, bOffset));
        // TS 102 241 6.5: after register(); the TAR comes from the install parameters (TS 102 226
        // 8.2.1.3.2.2.1), the runtime dispatches SMS-PP packets with it to processToolkit
        try {
            ToolkitRegistry reg = ToolkitRegistrySystem.getEntry();
            reg.setEvent(ToolkitConstants.EVENT_UNFORMATTED_SMS_PP_ENV);
            reg.setEvent(ToolkitConstants.EVENT_PROFILE_DOWNLOAD);
        } catch (ToolkitException e) {
            // no CAT runtime (a plain Java Card simulator): only the SELECT interface is reachable
        }
    }

    @Override
    public Shareable getShareableInterfaceObject(AID clientAID, byte parameter) {
        return clientAID == null && parameter == TOOLKIT_SIO ? this : null;
    }

    /** Triggered by the UICC's toolkit runtime (never while a command of process() runs). */
    @Override
    public void processToolkit(short event) {
        st.finishClear(); // key objects a torn INIT_TRUST / LICENSE / revocation / ACK left to clear
        events.process(event);
    }

    /** PERSONALIZE data: ENC(K_enc, key set (38) || 80 00 .. (48)) || CMAC8(K_mac, ciphertext). */
    private static final short PERSO_CT_LEN = 48;

    /**
     * Checks and deciphers PERSONALIZE under the transport key of the install parameters
     * (K_enc = CMAC(KT, 'P' 01), K_mac = CMAC(KT, 'P' 02)); the key set lands in tr.scratch.
     * Without a transport key - installed without parameters - nobody can personalize (6985):
     * whoever reached the card first could otherwise set KIc, KID, TAR and an MSL of 00.
     */
    private byte[] unwrapPersonalization(byte[] buf, short len) {
        if (!st.hasTransportKey) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        if (len != (short) (PERSO_CT_LEN + Constants.MAC8_LEN)) ISOException.throwIt(Sw.WRONG_LENGTH);
        byte[] s = tr.scratch;
        short ct = ISO7816.OFFSET_CDATA;
        s[0] = Constants.LABEL_PERSONALIZE;
        s[1] = 2;
        crypto.cmac(st.transportKey, s, (short) 0, (short) 2, s, (short) 16);
        crypto.sessionMac.setKey(s, (short) 16);
        crypto.cmac(crypto.sessionMac, buf, ct, PERSO_CT_LEN, s, (short) 16);
        if (!Bytes.equal(s, (short) 16, buf, (short) (ct + PERSO_CT_LEN), Constants.MAC8_LEN)) {
            crypto.clearSession();
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        s[1] = 1;
        crypto.cmac(st.transportKey, s, (short) 0, (short) 2, s, (short) 16);
        crypto.sessionEnc.setKey(s, (short) 16);
        crypto.cbc(crypto.sessionEnc, Cipher.MODE_DECRYPT, buf, ct, PERSO_CT_LEN, s, (short) 0);
        crypto.clearSession();
        if (s[Constants.INSTALL_PARAMS_LEN] != (byte) 0x80) ISOException.throwIt(Sw.WRONG_DATA);
        return s;
    }

    /**
     * Key sets, TAR and MSL from b[off..off+len) (install parameters or PERSONALIZE, docs/ota.md
     * 2.4): all checked first (6A80), keys written outside the transaction, which then commits
     * algorithms, indexes, TAR, MSL and the counter together with the personalized flag.
     */
    private void personalize(byte[] b, short off, short len) {
        short sets = (short) (len - Constants.TAR_LEN - 1);
        short n = KeySets.check(b, off, (short) (off + sets));
        // keys first, outside the transaction (Key.setKey is not transactional on many cards):
        // nothing uses them until otaPersonalized commits below; a torn PERSONALIZE can be repeated
        st.keys.writeKeys(b, off, n, tr.out); // work: not the scratch PERSONALIZE deciphered into
        JCSystem.beginTransaction();
        st.keys.commit(b, off, n);
        Util.arrayCopy(b, (short) (off + sets), st.tar, (short) 0, Constants.TAR_LEN);
        st.msl = b[(short) (off + sets + Constants.TAR_LEN)];
        // transactional byte writes (arrayFillNonAtomic would not roll back with a tear); this was
        // hidden from TransactionNonAtomicTest by the State.beginTransaction wrapper
        for (short i = 0; i < Constants.CNTR_LEN; i++) st.counter[i] = 0;
        st.otaPersonalized = true;
        st.clearPending = true; // the transport key is spent: finishClear clears it
        JCSystem.commitTransaction();
        st.finishClear();
    }

    @Override
    public void deselect() {
        crypto.clearSession();
    }

    @Override
    public void process(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        st.finishClear(); // key objects a torn INIT_TRUST / LICENSE / revocation / ACK left to clear
        if (selectingApplet()) {
            // the SELECT answer carries a fresh challenge: a terminal saves the GET CHALLENGE round trip
            apdu.setOutgoingAndSend((short) 0, terminal.getChallenge(buf));
            return;
        }
        try {
            if ((byte) (buf[ISO7816.OFFSET_CLA] & (byte) ~ApduIo.CLA_CHAINING) != Constants.CLA_PROPRIETARY) {
                ISOException.throwIt(Sw.CLA_NOT_SUPPORTED);
            }
            if (io.begin(apdu)) return;
            byte state = (byte) (st.trustState | (st.otaPersonalized ? PERSONALIZED : 0));
            byte flags = table.check(buf[ISO7816.OFFSET_INS], state);
            dispatch(apdu, buf, (flags & CommandTable.LONG) != 0);
        } catch (RuntimeException e) {
            io.abort();
            ISOException.throwIt(Sw.forException(e));
        }
    }

    private void dispatch(APDU apdu, byte[] buf, boolean longAllowed) {
        byte ins = buf[ISO7816.OFFSET_INS];
        short out;
        if (ins == Constants.INS_GET_CHALLENGE || ins == Constants.INS_POLL || ins == Constants.INS_TERMINAL_REVOKE
                || ins == Constants.INS_GET_SIM_CERTIFICATE) {
            io.requireNoData(apdu); // case 2: under T=0, P3 is Le, never data
            out = ins == Constants.INS_GET_CHALLENGE ? terminal.getChallenge(buf) : ins == Constants.INS_POLL ? terminal.poll(buf)
                    : ins == Constants.INS_GET_SIM_CERTIFICATE ? identity.certificate(buf) : terminal.terminalRevoke(buf);
        } else {
            short len = io.receive(apdu, (short) 0, MAX_DATA, longAllowed);
            if (len == ApduIo.IN_CHAIN) return;
            switch (ins) {
                case Constants.INS_AUTHENTICATE:
                    out = terminal.authenticate(buf, len);
                    break;
                case Constants.INS_ACK:
                    out = terminal.ack(buf, len);
                    break;
                case Constants.INS_GET_CONTENT_KEY:
                    out = terminal.contentKey(buf, len);
                    break;
                default: // INS_PERSONALIZE (the table has no other row)
                    personalize(unwrapPersonalization(buf, len), (short) 0, Constants.INSTALL_PARAMS_LEN);
                    Util.arrayFillNonAtomic(tr.scratch, (short) 0, PERSO_CT_LEN, (byte) 0);
                    out = 0;
            }
        }
        if (out > 0) apdu.setOutgoingAndSend((short) 0, out);
    }
}
