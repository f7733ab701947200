package dev.cardsmith.applet.vault;

import dev.cardsmith.applet.platform.ApduIo;
import dev.cardsmith.applet.platform.CommandTable;
import dev.cardsmith.applet.platform.InstallParams;
import dev.cardsmith.applet.platform.P256;
import dev.cardsmith.applet.platform.Sw;
import dev.cardsmith.applet.platform.Tlv;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;
import javacard.security.ECPublicKey;

/**
 * The device key vault (seed 000). The chip keeps a write-once chip ID and manufacturer public
 * key, a secret AES-256 chip key and a P-256 chip agreement key that never leave it, and a data
 * package of device keys that reaches it only sealed to its agreement key and that it hands back
 * only as a backup package encrypted and authenticated under the chip key.
 *
 * <p>Lifecycle: EMPTY (after install: chip ID and chip key exist) ->
 * PACKAGED (STORE PACKAGE or RESTORE) -> PROVISIONED (STORE CERTIFICATE); WIPE returns to
 * EMPTY. {@link Constants#COMMANDS} is the state x command table process() checks first. The
 * APDU protocol is documented in docs/vault.md; every value is in {@link Constants}.
 */
public final class VaultApplet extends Applet {

    private final Transients transients;
    private final VaultCrypto crypto;
    private final VaultState st;
    private final ApduIo io;
    private final Tlv tlv;
    private final CommandTable commands;
    private final PackageStore packages;

    /**
     * GlobalPlatform install data: LV(instance AID) || LV(privileges) || LV(application
     * parameters). Application parameters (optional, any order, each at most once):
     * C1 10 chip ID, C2 41 manufacturer public key (uncompressed P-256 point).
     */
    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new VaultApplet(bArray, bOffset, bLength);
    }

    private VaultApplet(byte[] b, short off, byte len) {
        transients = new Transients();
        crypto = new VaultCrypto(transients);
        st = new VaultState();
        io = new ApduIo((short) 0);
        tlv = new Tlv((short) 0);
        commands = new CommandTable(Constants.COMMANDS);
        packages = new PackageStore(st, crypto, transients, io, tlv);
        parseInstallParams(b, InstallParams.paramsOffset(b, off, len), InstallParams.paramsLength(b, off, len));
        st.initialize(crypto, transients.ram, Transients.OFF_SCRATCH);
        register(b, InstallParams.aidOffset(b, off), InstallParams.aidLength(b, off));
    }

    private void parseInstallParams(byte[] b, short p, short len) {
        tlv.start(b, p, len);
        while (tlv.next()) {
            short tag = tlv.tag();
            short l = tlv.length();
            if (tag == (short) (Constants.TAG_CHIP_ID & 0xFF) && !st.chipIdFromInstall && l == Constants.CHIP_ID_LENGTH) {
                Util.arrayCopyNonAtomic(b, tlv.valueOffset(), st.chipId, (short) 0, Constants.CHIP_ID_LENGTH);
                st.chipIdFromInstall = true;
            } else if (tag == (short) (Constants.TAG_MANUFACTURER_KEY & 0xFF) && !st.manufacturerKeySet
                    && l == Constants.EC_POINT_LENGTH) {
                setManufacturerKey(b, tlv.valueOffset());
            } else {
                ISOException.throwIt(Sw.WRONG_DATA);
            }
        }
    }

    @Override
    public void process(APDU apdu) {
        // a torn WIPE, or a package rejected / torn while loading: clear its keys before anything
        if (st.wipePending && st.state == Constants.STATE_EMPTY) st.scrub();
        if (selectingApplet()) {
            sendChipInfo(apdu);
            return;
        }
        try {
            if (io.begin(apdu)) return;
            dispatch(apdu);
        } catch (RuntimeException e) {
            // the one exception policy (docs/conventions.md): refusals keep their SW, anything else is 6F01
            short sw = Sw.forException(e);
            io.abort();
            transients.clearWork();
            crypto.cmac.clear();
            crypto.clearSeal();
            // the keys of a package that failed its checks must not stay in the key objects
            if (st.wipePending && st.state == Constants.STATE_EMPTY) st.scrub();
            ISOException.throwIt(sw);
        }
    }

    private void dispatch(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        if (ApduIo.isChained(apdu)) ISOException.throwIt(Sw.CHAINING_NOT_SUPPORTED);
        if (apdu.isSecureMessagingCLA()) ISOException.throwIt(Sw.SECURE_MESSAGING_NOT_SUPPORTED);
        if (buf[ISO7816.OFFSET_CLA] != Constants.CLA_PROPRIETARY) ISOException.throwIt(Sw.CLA_NOT_SUPPORTED);
        byte ins = buf[ISO7816.OFFSET_INS];
        commands.check(ins, st.state);
        short p1p2 = Util.getShort(buf, ISO7816.OFFSET_P1);
        if (ins == Constants.INS_GET_DATA) {
            getData(apdu, p1p2);
            return;
        }
        if (ins == Constants.INS_PROVE) {
            prove(apdu, p1p2);
            return;
        }
        if (ins == Constants.INS_PUT_DATA) {
            requireP1P2(p1p2, Constants.P1P2_MANUFACTURER_KEY);
            putManufacturerKey(apdu);
            return;
        }
        requireP1P2(p1p2, Constants.P1P2_NONE);
        switch (ins) {
            case Constants.INS_STORE_PACKAGE: packages.storePackage(apdu); break;
            case Constants.INS_STORE_CERTIFICATE: packages.storeCertificate(apdu); break;
            case Constants.INS_RESTORE: packages.restore(apdu); break;
            case Constants.INS_GET_CHALLENGE: getChallenge(apdu); break;
            case Constants.INS_GET_BACKUP: packages.getBackup(apdu); break;
            default: wipe(apdu); // INS_WIPE: the table has no other row
        }
    }

    private static void requireP1P2(short actual, short expected) {
        if (actual != expected) ISOException.throwIt(Sw.INCORRECT_P1P2);
    }

    /** Sets the manufacturer key from a checked P-256 point (no transaction: see putManufacturerKey). */
    private void setManufacturerKey(byte[] b, short off) {
        P256.checkPoint(b, off, Constants.EC_POINT_LENGTH, transients.ram, Transients.OFF_SIG);
        st.manufacturerKey.setW(b, off, Constants.EC_POINT_LENGTH);
        st.manufacturerKeySet = true;
    }

    // ---- GET DATA / PUT DATA ------------------------------------------------------------------

    /**
     * C1 chip ID | C7 state | C8 package version | C2 manufacturer key (empty if unset) |
     * C9 chip agreement key | C3 identity (with a package).
     */
    private short writeChipInfo(byte[] out) {
        short o = Tlv.put(out, (short) 0, Constants.TAG_CHIP_ID, st.chipId, (short) 0, Constants.CHIP_ID_LENGTH);
        out[o++] = Constants.TAG_STATE;
        out[o++] = 1;
        out[o++] = st.state;
        out[o++] = Constants.TAG_PACKAGE_VERSION;
        out[o++] = 2;
        o = Util.setShort(out, o, st.packageVersion);
        out[o++] = Constants.TAG_MANUFACTURER_KEY;
        if (st.manufacturerKeySet) {
            out[o++] = (byte) Constants.EC_POINT_LENGTH;
            o += st.manufacturerKey.getW(out, o);
        } else {
            out[o++] = 0;
        }
        out[o++] = Constants.TAG_AGREEMENT_KEY;
        out[o++] = (byte) Constants.EC_POINT_LENGTH;
        o += agreementPoint(out, o);
        if (st.hasPackage()) {
            o = Tlv.put(out, o, Constants.TAG_IDENTITY, st.identity, (short) 0, st.identityLength);
        }
        return o;
    }

    private short agreementPoint(byte[] out, short off) {
        return ((ECPublicKey) st.agreement.getPublic()).getW(out, off);
    }

    private void sendChipInfo(APDU apdu) {
        short len = writeChipInfo(apdu.getBuffer());
        apdu.setOutgoingAndSend((short) 0, len);
    }

    private void getData(APDU apdu, short p1p2) {
        io.requireNoData(apdu);
        byte[] buf = apdu.getBuffer();
        short len = 0;
        switch (p1p2) {
            case Constants.P1P2_CHIP_INFO:
                len = writeChipInfo(buf);
                break;
            case Constants.P1P2_CHIP_ID:
                len = Util.arrayCopyNonAtomic(st.chipId, (short) 0, buf, (short) 0, Constants.CHIP_ID_LENGTH);
                break;
            case Constants.P1P2_MANUFACTURER_KEY:
                if (!st.manufacturerKeySet) ISOException.throwIt(Sw.REFERENCED_DATA_NOT_FOUND);
                len = st.manufacturerKey.getW(buf, (short) 0);
                break;
            case Constants.P1P2_AGREEMENT_KEY:
                len = agreementPoint(buf, (short) 0);
                break;
            case Constants.P1P2_DEVICE_PUBLIC_KEY:
                if (!st.hasPackage()) ISOException.throwIt(Sw.REFERENCED_DATA_NOT_FOUND);
                len = Util.arrayCopyNonAtomic(st.devicePublicW, (short) 0, buf, (short) 0, Constants.EC_POINT_LENGTH);
                break;
            case Constants.P1P2_CERTIFICATE:
                if (st.state != Constants.STATE_PROVISIONED) ISOException.throwIt(Sw.REFERENCED_DATA_NOT_FOUND);
                len = Util.arrayCopyNonAtomic(st.certificate, (short) 0, buf, (short) 0, st.certificateLength);
                break;
            default:
                ISOException.throwIt(Sw.INCORRECT_P1P2);
        }
        apdu.setOutgoingAndSend((short) 0, len);
    }

    /** One-shot SET MANUFACTURER KEY (claims 2, 19): only while unset and before any package. */
    private void putManufacturerKey(APDU apdu) {
        io.receive(apdu, Constants.EC_POINT_LENGTH, Constants.EC_POINT_LENGTH, false);
        if (st.manufacturerKeySet) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        // no transaction: Key.setW is not transactional on every card. The key is written while
        // manufacturerKeySet is false (nothing uses it), then the flag - one field write, atomic
        // by the JCRE - makes it live; a tear in between leaves the key unset, PUT DATA again.
        setManufacturerKey(apdu.getBuffer(), ISO7816.OFFSET_CDATA);
    }

    // ---- wipe -------------------------------------------------------------------------------

    private void getChallenge(APDU apdu) {
        io.requireNoData(apdu);
        byte[] r = transients.ram;
        crypto.random.generateData(r, Transients.OFF_CHALLENGE, Constants.CHALLENGE_LENGTH);
        transients.setChallengeFresh(true);
        byte[] buf = apdu.getBuffer();
        Util.arrayCopyNonAtomic(r, Transients.OFF_CHALLENGE, buf, (short) 0, Constants.CHALLENGE_LENGTH);
        apdu.setOutgoingAndSend((short) 0, Constants.CHALLENGE_LENGTH);
    }

    /**
     * WIPE: data = ECDSA-SHA256 signature of the manufacturer key over 57 || chip ID || the last
     * GET CHALLENGE value (single use, gone on deselect). Erases package and certificate.
     */
    private void wipe(APDU apdu) {
        short len = io.receive(apdu, (short) 8, Constants.ECDSA_MAX_LENGTH, false);
        if (!st.manufacturerKeySet) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED);
        if (!transients.challengeFresh()) ISOException.throwIt(Sw.CONDITIONS_NOT_SATISFIED); // a missing protocol step
        transients.setChallengeFresh(false);
        byte[] r = transients.ram;
        short o = Transients.OFF_SCRATCH;
        r[o++] = Constants.WIPE_DOMAIN;
        o = Util.arrayCopyNonAtomic(st.chipId, (short) 0, r, o, Constants.CHIP_ID_LENGTH);
        o = Util.arrayCopyNonAtomic(r, Transients.OFF_CHALLENGE, r, o, Constants.CHALLENGE_LENGTH);
        if (!crypto.verify(st.manufacturerKey, r, Transients.OFF_SCRATCH, (short) (o - Transients.OFF_SCRATCH),
                apdu.getBuffer(), ISO7816.OFFSET_CDATA, len)) {
            ISOException.throwIt(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        st.erasePackage();
    }

    // ---- prove ------------------------------------------------------------------------------

    /**
     * INTERNAL AUTHENTICATE: P2=01 AES-CMAC(channel key, 50 || challenge); P2=02 ECDSA(device key,
     * 50 || challenge). The fixed PROVE_DOMAIN prefix keeps this unauthenticated command from
     * being a MAC/signature oracle over data the caller chooses freely.
     */
    private void prove(APDU apdu, short p1p2) {
        if (p1p2 != Constants.P2_PROVE_CHANNEL_KEY && p1p2 != Constants.P2_PROVE_DEVICE_KEY) {
            ISOException.throwIt(Sw.INCORRECT_P1P2);
        }
        short len = io.receive(apdu, (short) 1, Constants.PROVE_CHALLENGE_MAX, false);
        byte[] buf = apdu.getBuffer();
        byte[] r = transients.ram;
        r[Transients.OFF_SCRATCH] = Constants.PROVE_DOMAIN;
        Util.arrayCopyNonAtomic(buf, ISO7816.OFFSET_CDATA, r, (short) (Transients.OFF_SCRATCH + 1), len);
        short inLen = (short) (len + 1);
        short outLen;
        if (p1p2 == Constants.P2_PROVE_CHANNEL_KEY) {
            outLen = crypto.cmac.mac(st.channelKey, r, Transients.OFF_SCRATCH, inLen, buf, (short) 0);
        } else {
            outLen = crypto.sign(st.devicePrivate, r, Transients.OFF_SCRATCH, inLen, buf, (short) 0);
        }
        transients.clearWork();
        apdu.setOutgoingAndSend((short) 0, outLen);
    }
}
