package dev.cardsmith.applet.module;

import dev.cardsmith.applet.platform.ApduIo;
import dev.cardsmith.applet.platform.CommandTable;
import dev.cardsmith.applet.platform.InstallParams;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.platform.Tlv;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;
import javacardx.apdu.ExtendedLength;

/**
 * Security module of seed 002: personalization and operating states (claim 1), module key
 * formed afresh on the card and certified by the personalization unit, manufacturer checking
 * key and permanent identity key (claims 7, 8), certificate chains (claims 4-7), nonce and
 * variation value (claims 9, 10), protected perso channel and TAN forwarding (claims 3, 13,
 * 16-18), key agreement with the central system and a stored transaction key (claim 11).
 *
 * <p>This class is the I/O and dispatch: the layer's {@link ApduIo} (chaining, extended length,
 * 61xx), the lifecycle table {@link #COMMANDS} consulted before any handler runs, the one
 * exception policy {@link Sw#forException}. The handlers are {@link Manufacturing},
 * {@link Personalization} and {@link CentralSession}.
 *
 * <p>Install parameters (GlobalPlatform C9 value): empty, or the manufacturer's public checking
 * key as an uncompressed P-256 point (65 bytes, 04||X||Y). Without it, SET CHECKING KEY sets it
 * once. The APDU protocol is in docs/module.md.
 */
public final class ModuleApplet extends Applet implements ExtendedLength {

    private static final byte ANY = CommandTable.ANY_STATE;
    private static final byte PERSONALIZATION = (byte) (1 << Constants.STATE_PERSONALIZATION);
    private static final byte OPERATING = (byte) (1 << Constants.STATE_OPERATING);

    /**
     * The lifecycle x command matrix (docs/module.md "APDUs"): INS, states allowed, flags. A
     * command outside its states answers 6985, SET CHECKING KEY after personalization 6986.
     * LONG: may come chained or extended, into ApduIo's persistent staging buffer.
     */
    private static final byte[] COMMANDS = {
        Constants.INS_GET_STATUS, ANY, 0,
        Constants.INS_SET_CHECKING_KEY, PERSONALIZATION, CommandTable.REFUSE_NOT_ALLOWED,
        Constants.INS_GENERATE_IDENTITY, ANY, 0,
        Constants.INS_STORE_IDENTITY_CERT, ANY, CommandTable.LONG,
        Constants.INS_ENTER_PERSONALIZATION, ANY, 0,
        Constants.INS_RELEASE_CHALLENGE, OPERATING, 0,
        Constants.INS_ENTER_TAN, PERSONALIZATION, 0,
        Constants.INS_PERSO_INITIATE, PERSONALIZATION, CommandTable.LONG,
        Constants.INS_PERSO_AUTHENTICATE, PERSONALIZATION, 0,
        Constants.INS_PERSO_STORE_CERTS, PERSONALIZATION, CommandTable.LONG,
        Constants.INS_CENTRAL_AUTHENTICATE, OPERATING, 0, // 68 bytes: extended (for its long answer), never staged
        Constants.INS_CENTRAL_CONFIRM, OPERATING, 0,
        Constants.INS_TRANSACTION, OPERATING, 0,
    };

    private final Persistent p;
    private final Transients t;
    private final Crypto crypto;
    private final ApduIo io;
    private final CommandTable table;
    private final Session session;
    private final Manufacturing manufacturing;
    private final Personalization perso;
    private final CentralSession central;

    private ModuleApplet(byte[] b, short off, byte len) {
        p = new Persistent();
        t = new Transients();
        crypto = new Crypto();
        io = new ApduIo(Constants.STAGE_LENGTH);
        table = new CommandTable(COMMANDS);
        Tlv tlv = new Tlv((short) 3); // certificate > body > public key / CHAT
        Cvc cvc = new Cvc(t, crypto, tlv);
        session = new Session(t, crypto);
        manufacturing = new Manufacturing(p, t, cvc, tlv, io);
        perso = new Personalization(p, t, crypto, cvc, tlv, io, session);
        central = new CentralSession(p, t, crypto, tlv, io, session);
        short paramsLen = InstallParams.paramsLength(b, off, len);
        if (paramsLen == Constants.EC_POINT_LENGTH) {
            manufacturing.installCheckingKey(b, InstallParams.paramsOffset(b, off, len));
        } else if (paramsLen != 0) {
            ISOException.throwIt(Sw.WRONG_DATA);
        }
    }

    public static void install(byte[] b, short off, byte len) {
        new ModuleApplet(b, off, len).register(b, InstallParams.aidOffset(b, off), InstallParams.aidLength(b, off));
    }

    @Override
    public void deselect() {
        crypto.clearSessionKeys();
    }

    @Override
    public void process(APDU apdu) {
        if (p.wipePending) perso.completePendingWipe(); // a torn ENTER PERSONALIZATION: finish erasing first
        if (selectingApplet()) return;
        byte[] buf = apdu.getBuffer();
        try {
            if (io.begin(apdu)) return; // GET RESPONSE
            if ((byte) (buf[ISO7816.OFFSET_CLA] & ~ApduIo.CLA_CHAINING) != Constants.CLA_PROPRIETARY) {
                ISOException.throwIt(Sw.CLA_NOT_SUPPORTED);
            }
            byte ins = buf[ISO7816.OFFSET_INS];
            byte flags = table.check(ins, p.state);
            if ((buf[ISO7816.OFFSET_P1] != 0 && ins != Constants.INS_GET_STATUS) || buf[ISO7816.OFFSET_P2] != 0) {
                ISOException.throwIt(Sw.INCORRECT_P1P2);
            }
            dispatch(apdu, ins, (flags & CommandTable.LONG) != 0);
        } catch (RuntimeException e) {
            short sw = Sw.forException(e); // aborts an open transaction first
            if ((short) (sw & (short) 0xFF00) != Sw.BYTES_REMAINING) fail(buf[ISO7816.OFFSET_INS]);
            ISOException.throwIt(sw);
        }
    }

    /** The one clean-up path after a refusal: a failed session step ends the session; an inbound chain ends. */
    private void fail(byte ins) {
        io.abort();
        if (ins == Constants.INS_PERSO_INITIATE || ins == Constants.INS_PERSO_AUTHENTICATE
                || ins == Constants.INS_PERSO_STORE_CERTS || ins == Constants.INS_CENTRAL_AUTHENTICATE
                || ins == Constants.INS_CENTRAL_CONFIRM || ins == Constants.INS_ENTER_PERSONALIZATION) {
            session.end();
        }
        if (ins == Constants.INS_PERSO_AUTHENTICATE) session.clearTan();
    }

    private void dispatch(APDU apdu, byte ins, boolean longAllowed) {
        byte[] buf = apdu.getBuffer();
        switch (ins) {
            case Constants.INS_GET_STATUS: io.requireNoData(apdu); getStatus(apdu); return;
            case Constants.INS_GENERATE_IDENTITY: io.requireNoData(apdu); manufacturing.generateIdentity(apdu); return;
            case Constants.INS_RELEASE_CHALLENGE: io.requireNoData(apdu); perso.releaseChallenge(apdu); return;
            case Constants.INS_ENTER_PERSONALIZATION:
                // no data from the personalization state (case 1, T=0 safe); the release authorization from operating
                if (p.state != Constants.STATE_OPERATING) { io.requireNoData(apdu); perso.enter(buf, (short) 0, (short) 0); return; }
                break;
            default: break;
        }
        short len = io.receive(apdu, (short) 0, Constants.STAGE_LENGTH, longAllowed);
        if (len == ApduIo.IN_CHAIN) return; // a piece of a chain: 9000, wait for the rest
        byte[] in = io.data(apdu);
        short off = io.dataOffset(apdu);
        switch (ins) {
            case Constants.INS_SET_CHECKING_KEY: manufacturing.setCheckingKey(in, off, len); return;
            case Constants.INS_STORE_IDENTITY_CERT: manufacturing.storeIdentityCert(in, off, len); return;
            case Constants.INS_ENTER_PERSONALIZATION: perso.enter(in, off, len); return;
            case Constants.INS_ENTER_TAN: perso.enterTan(in, off, len); return;
            case Constants.INS_PERSO_INITIATE: perso.initiate(apdu, in, off, len); return;
            case Constants.INS_PERSO_AUTHENTICATE: perso.authenticate(apdu, in, off, len); return;
            case Constants.INS_PERSO_STORE_CERTS: perso.storeCertificates(apdu, in, off, len); return;
            case Constants.INS_CENTRAL_AUTHENTICATE: central.authenticate(apdu, in, off, len); return;
            case Constants.INS_CENTRAL_CONFIRM: central.confirm(in, off, len); return;
            case Constants.INS_TRANSACTION: central.transaction(apdu, in, off, len); return;
            default: ISOException.throwIt(Sw.INS_NOT_SUPPORTED); // the table has no other row
        }
    }

    /**
     * GET STATUS. P1=00: state || flags || certificate date (6) || transaction counter (4).
     * P1=01: the identity certificate. P1=02: the module certificate (6A88 while there is none).
     */
    private void getStatus(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        byte p1 = buf[ISO7816.OFFSET_P1];
        if (p1 == 1 || p1 == 2) {
            short certLen = p1 == 1 ? p.identityCertLength : p.moduleCertLength;
            if (certLen == 0) ISOException.throwIt(Sw.REFERENCED_DATA_NOT_FOUND);
            io.send(apdu, p1 == 1 ? p.identityCert : p.moduleCert, (short) 0, certLen);
            return;
        }
        if (p1 != 0) ISOException.throwIt(Sw.INCORRECT_P1P2);
        buf[0] = p.state;
        buf[1] = p.flags(session.tanLength());
        Util.arrayCopyNonAtomic(p.certificateDate, (short) 0, buf, (short) 2, Constants.DATE_LENGTH);
        Util.arrayCopyNonAtomic(p.transactionCounter, (short) 0, buf, (short) 8, Constants.COUNTER_LENGTH);
        io.send(apdu, buf, (short) 0, (short) 12);
    }
}
