package dev.cardsmith.applet.piv;

import dev.cardsmith.applet.platform.ApduIo;
import dev.cardsmith.applet.platform.CommandTable;
import dev.cardsmith.applet.platform.InstallParams;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.platform.Tlv;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.security.RandomData;
import javacardx.apdu.ExtendedLength;

/**
 * Seed 003, the card as the PC's cryptographic service provider, through the card edge every PC
 * already speaks: the PIV Card Application of NIST SP 800-73-4 (OpenSC's PIV driver, PKCS#11,
 * ssh, openssl, NSS; the cardsmith JCA provider). Protocol: docs/piv-card-edge.md.
 *
 * <p>This class is the I/O and dispatch layer: SELECT (application property template), the
 * command table, the one exception policy, and the commands that only route. The parts:
 * {@link Pins} (VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, slot PIN policies),
 * {@link ManagementKey} (9B, SET MANAGEMENT KEY), {@link KeySlots} (9A/9C/9D/9E, GENERATE) with
 * {@link P384},
 * {@link GeneralAuthenticate} with {@link RsaPolicy} (what a private key may compute),
 * {@link DataObjects} (GET DATA / PUT DATA), {@link Metadata} (GET METADATA).
 *
 * <p>Install parameters (GlobalPlatform C9): empty (development defaults: PIN 123456, PUK
 * 12345678, 3DES administration key 0102030405060708 x3), or PIN (8, FF-padded) || PUK (8), or
 * PIN || PUK || algorithm (03/08/0A/0C) || administration key (24/16/24/32 bytes).
 */
public final class PivApplet extends Applet implements ExtendedLength {

    private static final byte STATE = 0;
    private static final byte ANY = CommandTable.ANY_STATE;
    private static final byte[] TABLE = {
        Constants.INS_VERIFY,                       ANY, 0,
        Constants.INS_CHANGE_REFERENCE_DATA,        ANY, 0,
        Constants.INS_RESET_RETRY_COUNTER,          ANY, 0,
        Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR, ANY, 0,
        Constants.INS_GENERAL_AUTHENTICATE,         ANY, CommandTable.LONG,
        Constants.INS_GET_RESPONSE,                 ANY, 0, // a CLA that is not 00 (ApduIo answers 00 C0)
        Constants.INS_GET_DATA,                     ANY, 0,
        Constants.INS_PUT_DATA,                     ANY, CommandTable.LONG,
        Constants.INS_SET_MANAGEMENT_KEY,           ANY, 0,
        Constants.INS_GET_METADATA,                 ANY, 0,
    };
    private static final byte[] LABEL = {'c', 'a', 'r', 'd', 's', 'm', 'i', 't', 'h', ' ', 'P', 'I', 'V'};
    private static final short PIN_PUK = (short) (2 * Constants.PIN_LENGTH);

    private final Pins pins;
    private final ManagementKey mgmt;
    private final KeySlots slots;
    private final DataObjects objects;
    private final GeneralAuthenticate auth;
    private final ApduIo io;
    private final CommandTable table;
    private final Tlv tlv;
    private final byte[] scratch;

    private PivApplet(byte[] p, short off, short len) {
        RandomData random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        if (len != 0 && len != PIN_PUK && (len <= (short) (PIN_PUK + 1)
                || (short) (PIN_PUK + 1 + ManagementKey.keyLength(p[(short) (off + PIN_PUK)])) != len)) {
            ISOException.throwIt(Sw.WRONG_DATA);
        }
        pins = new Pins(len == 0 ? null : p, off);
        boolean key = len > PIN_PUK;
        mgmt = new ManagementKey(key ? p : null, (short) (off + PIN_PUK + 1), key ? p[(short) (off + PIN_PUK)] : Constants.ALG_3DES, random);
        slots = new KeySlots();
        objects = new DataObjects(random);
        auth = new GeneralAuthenticate(slots.rsaSupported, random);
        io = new ApduIo(Constants.STAGING);
        table = new CommandTable(TABLE);
        tlv = new Tlv((short) 1);
        scratch = JCSystem.makeTransientByteArray(GeneralAuthenticate.SCRATCH_SIZE, JCSystem.CLEAR_ON_DESELECT);
    }

    /** GlobalPlatform install data: LV(instance AID) || LV(privileges) || LV(application parameters). */
    public static void install(byte[] bArray, short bOffset, byte bLength) {
        PivApplet applet = new PivApplet(bArray, InstallParams.paramsOffset(bArray, bOffset, bLength),
                InstallParams.paramsLength(bArray, bOffset, bLength));
        applet.register(bArray, InstallParams.aidOffset(bArray, bOffset), InstallParams.aidLength(bArray, bOffset));
    }

    @Override
    public void deselect() {
        pins.release();
        mgmt.release();
    }

    @Override
    public void process(APDU apdu) {
        slots.completePendingClear();               // a torn GENERATE: clear the unused key objects first
        objects.completePendingCopy(io.staging());  // a torn PUT DATA: finish copying the validated object
        if (selectingApplet()) {
            sendPropertyTemplate(apdu);
            return;
        }
        try {
            if (io.begin(apdu)) return;
            byte[] buf = apdu.getBuffer();
            byte ins = buf[ISO7816.OFFSET_INS];
            byte flags = table.check(ins, STATE);
            if ((byte) (buf[ISO7816.OFFSET_CLA] & (byte) ~ApduIo.CLA_CHAINING) != Constants.CLA) ISOException.throwIt(Sw.CLA_NOT_SUPPORTED);
            if (ins != Constants.INS_VERIFY && ins != Constants.INS_GENERAL_AUTHENTICATE) pins.disarm();
            dispatch(apdu, buf, ins, (flags & CommandTable.LONG) != 0);
        } catch (RuntimeException e) {
            io.abort();
            ISOException.throwIt(Sw.forException(e));
        } finally {
            slots.completePendingClear(); // a failed generation leaves no half-made key behind
        }
    }

    private void dispatch(APDU apdu, byte[] buf, byte ins, boolean longAllowed) {
        switch (ins) {
            case Constants.INS_VERIFY:
                pins.verify(apdu, io);
                if (buf[ISO7816.OFFSET_P1] == Constants.P1_VERIFY_RESET) mgmt.release(); // back to the power-on state
                return;
            case Constants.INS_CHANGE_REFERENCE_DATA: pins.change(apdu, io); return;
            case Constants.INS_RESET_RETRY_COUNTER: pins.resetRetryCounter(apdu, io); return;
            case Constants.INS_GENERATE_ASYMMETRIC_KEY_PAIR: generate(apdu, buf); return;
            case Constants.INS_GENERAL_AUTHENTICATE: auth.process(apdu, io, tlv, longAllowed, slots, pins, mgmt, scratch); return;
            case Constants.INS_GET_DATA: objects.get(apdu, io, tlv); return;
            case Constants.INS_PUT_DATA:
                mgmt.requireAuthenticated();
                objects.put(apdu, io, tlv, longAllowed);
                return;
            case Constants.INS_SET_MANAGEMENT_KEY: setManagementKey(apdu, buf); return;
            case Constants.INS_GET_METADATA: Metadata.send(apdu, io, pins, mgmt, slots, scratch); return;
            default: ISOException.throwIt(Sw.CLA_NOT_SUPPORTED); // GET RESPONSE with a CLA other than 00
        }
    }

    /**
     * GENERATE ASYMMETRIC KEY PAIR: P1 00, P2 9A/9C/9D/9E, data AC { 80 01 alg [AA 01 pin policy]
     * [AB 01 touch policy] } (the policies are fixed per slot here and ignored); the administration
     * key must be authenticated. Answers the public key template 7F49.
     */
    private void generate(APDU apdu, byte[] buf) {
        if (buf[ISO7816.OFFSET_P1] != 0) ISOException.throwIt(Sw.INCORRECT_P1P2);
        byte slot = KeySlots.slotOf(buf[ISO7816.OFFSET_P2]);
        short len = io.receive(apdu, (short) 1, (short) 255, false);
        mgmt.requireAuthenticated();
        tlv.start(buf, apdu.getOffsetCdata(), len);
        tlv.expect((short) (Constants.TAG_CONTROL & 0xFF), (short) 3, (short) 127);
        tlv.enter();
        tlv.expect((short) (Constants.TAG_ALG_ID & 0xFF), (short) 1, (short) 1);
        byte alg = buf[tlv.valueOffset()];
        while (tlv.next()) {
            if (tlv.tag() != (short) 0xAA && tlv.tag() != (short) 0xAB) ISOException.throwIt(Sw.WRONG_DATA);
        }
        tlv.leave();
        tlv.finish();
        if (!slots.algorithmSupported(alg) || (alg == Constants.ALG_RSA_2048 && !auth.rsaAvailable())
                || (alg == Constants.ALG_EC_P384 && (!auth.p384Available() || slot == Constants.SLOT_9D))) {
            ISOException.throwIt(Sw.WRONG_DATA); // 9D does ECDH on P-256 only: the card checks P-256 points
        }
        slots.generate(slot, alg, scratch, (short) 0);
        io.send(apdu, scratch, (short) 0, slots.publicKey(slot, scratch, (short) 0, false));
    }

    /** SET MANAGEMENT KEY (Yubico): P1 FF, P2 FF (or FE), data alg || 9B || L || key. */
    private void setManagementKey(APDU apdu, byte[] buf) {
        if (buf[ISO7816.OFFSET_P1] != Constants.P1P2_SET_MGMT
                || (buf[ISO7816.OFFSET_P2] != Constants.P1P2_SET_MGMT && buf[ISO7816.OFFSET_P2] != (byte) 0xFE)) {
            ISOException.throwIt(Sw.INCORRECT_P1P2);
        }
        short len = io.receive(apdu, (short) 3, (short) 35, false);
        mgmt.set(buf, apdu.getOffsetCdata(), len);
    }

    /**
     * SELECT answers the application property template (SP 800-73-4 Part 2, 3.1.1):
     * 61 { 4F PIX, 79 { 4F RID }, 50 label, AC { 80 alg ... 06 00 } }.
     */
    private void sendPropertyTemplate(APDU apdu) {
        byte[] b = apdu.getBuffer();
        short o = 2;
        o = Tlv.put(b, o, Constants.TAG_AID, Constants.AID, Constants.PIX_OFFSET, (short) (Constants.AID.length - Constants.PIX_OFFSET));
        b[o++] = Constants.TAG_AUTHORITY;
        b[o++] = (byte) (2 + Constants.RID_LENGTH);
        o = Tlv.put(b, o, Constants.TAG_AID, Constants.AID, (short) 0, Constants.RID_LENGTH);
        o = Tlv.put(b, o, Constants.TAG_LABEL, LABEL, (short) 0, (short) LABEL.length);
        b[o++] = Constants.TAG_ALGORITHMS;
        short algLen = o++;
        o = algorithm(b, o, Constants.ALG_3DES);
        o = algorithm(b, o, Constants.ALG_AES_128);
        o = algorithm(b, o, Constants.ALG_AES_192);
        o = algorithm(b, o, Constants.ALG_AES_256);
        if (auth.rsaAvailable()) o = algorithm(b, o, Constants.ALG_RSA_2048);
        o = algorithm(b, o, Constants.ALG_EC_P256);
        if (slots.p384Supported && auth.p384Available()) o = algorithm(b, o, Constants.ALG_EC_P384);
        b[o++] = Constants.TAG_OID;
        b[o++] = 0;
        b[algLen] = (byte) (o - algLen - 1);
        b[0] = Constants.TAG_APT;
        b[1] = (byte) (o - 2);
        apdu.setOutgoingAndSend((short) 0, o);
    }

    private static short algorithm(byte[] b, short o, byte alg) {
        b[o++] = Constants.TAG_ALG_ID;
        b[o++] = 1;
        b[o++] = alg;
        return o;
    }
}
